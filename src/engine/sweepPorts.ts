/** The port sweep of one host: TCP connects in parallel (at most 16), each closed at once. */
import { tcpConnect } from '../net/connect.js';
import { Semaphore } from './rate.js';

export interface SweepResult {
  open: number[];
  /** Ports that neither accepted nor refused in time (filtered, or a host that is down). */
  slow: number[];
}

export async function sweepPorts(host: string, ports: number[], timeoutMs: number): Promise<SweepResult> {
  const gate = new Semaphore(16);
  const open: number[] = [];
  const slow: number[] = [];
  await Promise.all(
    ports.map((port) =>
      gate.run(async () => {
        const r = await tcpConnect(host, port, timeoutMs);
        if (r.ok) {
          r.socket.destroy();
          open.push(port);
        } else if (r.failure !== 'refused') {
          slow.push(port);
        }
      }),
    ),
  );
  return { open: open.sort((a, b) => a - b), slow };
}

/**
 * Servers that accept a connection and never say a word (each holds its port until the probe gives
 * up), on PREFIX.1 … PREFIX.N port 104. They count how many hosts are being probed at once: hosts
 * with a connection open that sent something (a probe; the sweep's connects send nothing). One host
 * may be asked on two connections at once (the protocol guesses race): it counts once.
 */
import net from 'node:net';

export interface MuteHosts {
  /** The most hosts with a connection open that had sent bytes, at the same moment. */
  maxTalking(): number;
  stop(): Promise<void>;
}

export async function startMuteHosts(prefix: string, n: number, port = 104): Promise<MuteHosts> {
  const sockets = new Set<net.Socket>();
  // per host: its connections open that have sent bytes
  const talkingOn = new Array<number>(n).fill(0);
  let max = 0;
  const servers = await Promise.all(
    Array.from({ length: n }, (_, i) => {
      const srv = net.createServer((s) => {
        sockets.add(s);
        let talked = false;
        s.on('data', () => {
          if (talked) return;
          talked = true;
          talkingOn[i] = (talkingOn[i] ?? 0) + 1;
          max = Math.max(max, talkingOn.filter((c) => c > 0).length);
        });
        s.on('error', () => undefined);
        s.on('close', () => {
          sockets.delete(s);
          if (talked) talkingOn[i] = (talkingOn[i] ?? 1) - 1;
        });
      });
      return new Promise<net.Server>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(port, `${prefix}.${i + 1}`, () => resolve(srv));
      });
    }),
  );
  return {
    maxTalking: () => max,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((srv) => new Promise((r) => srv.close(r))));
    },
  };
}

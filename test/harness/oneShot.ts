/**
 * A real single-association server that restarts after each association, as embedded modalities
 * and inetd-style SCPs do: dcmtk's storescp in --inetd mode, run once per connection on the
 * accepted socket, while the port stays closed (refused) until a short pause after it exits.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { tempDir } from './procs.js';

export interface OneShot {
  host: string;
  port: number;
  /** Connections served (each one a storescp run). */
  served: number;
  stop(): Promise<void>;
}

/**
 * `resetAt`: connections (counted from 1) answered with a TCP reset before any byte instead, as a
 * server does that closes its listening socket with a connection still in its backlog.
 */
export async function startOneShotScp(
  host: string,
  port: number,
  restartMs = 400,
  resetAt: ReadonlySet<number> = new Set(),
): Promise<OneShot> {
  const dir = tempDir('oneshot');
  let stopped = false;
  const s: OneShot = { host, port, served: 0, stop: async () => undefined };
  let server: net.Server | null = null;
  let accepted = 0;
  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const srv = net.createServer({ pauseOnConnect: true }, (socket) => {
        if (resetAt.has(++accepted)) {
          socket.resetAndDestroy();
          return;
        }
        // one association: stop listening (the port refuses) until storescp is done with this one
        srv.close();
        server = null;
        s.served++;
        const child = spawn('storescp', ['--inetd', '--aetitle', 'ONESHOT', '--output-directory', dir], {
          stdio: [socket, socket, 'ignore'],
        });
        child.on('error', () => socket.destroy());
        child.on('exit', () => {
          socket.destroy();
          if (!stopped) setTimeout(() => void listen().catch(() => undefined), restartMs);
        });
      });
      srv.once('error', reject);
      srv.listen(port, host, () => {
        server = srv;
        resolve();
      });
    });
  await listen();
  s.stop = async () => {
    stopped = true;
    const srv = server as net.Server | null;
    if (srv !== null) await new Promise<void>((r) => srv.close(() => r()));
  };
  return s;
}

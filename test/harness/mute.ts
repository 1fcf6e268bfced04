/**
 * Servers that accept a connection and never say a word (each holds its port until the probe gives
 * up), on PREFIX.1 … PREFIX.N port 104. They count how many connections that sent something (a probe;
 * the sweep's connects send nothing) are open at once.
 */
import net from 'node:net';

export interface MuteHosts {
  /** The most connections that had sent bytes, open at the same moment, across all of them. */
  maxTalking(): number;
  stop(): Promise<void>;
}

export async function startMuteHosts(prefix: string, n: number, port = 104): Promise<MuteHosts> {
  const sockets = new Set<net.Socket>();
  let talking = 0;
  let max = 0;
  const servers = await Promise.all(
    Array.from({ length: n }, (_, i) => {
      const srv = net.createServer((s) => {
        sockets.add(s);
        let talked = false;
        s.on('data', () => {
          if (talked) return;
          talked = true;
          max = Math.max(max, ++talking);
        });
        s.on('error', () => undefined);
        s.on('close', () => {
          sockets.delete(s);
          if (talked) talking--;
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

/**
 * A scripted hostile peer ("send this, then stall, then close"), for the cases no real server
 * shows on demand: garbage, truncated or huge PDUs, drip-feeding, resets, silence.
 */
import net from 'node:net';

export type Step =
  | { send: Buffer }
  | { wait: number }
  | { drip: Buffer; everyMs: number }
  | { sendForever: Buffer; everyMs: number }
  | 'stall'
  | 'close'
  | 'reset'
  /** wait for the client's first bytes before the next step */
  | 'read';

export interface HostilePeer {
  host: string;
  port: number;
  connections: number;
  stop(): Promise<void>;
}

async function play(socket: net.Socket, script: Step[], alive: () => boolean): Promise<void> {
  for (const step of script) {
    if (!alive()) return;
    if (step === 'stall') return; // keep the socket open, say nothing, forever
    if (step === 'close') return void socket.end();
    if (step === 'reset') return void socket.resetAndDestroy();
    if (step === 'read') {
      await new Promise((r) => socket.once('data', r));
    } else if ('send' in step) {
      socket.write(step.send);
    } else if ('wait' in step) {
      await new Promise((r) => setTimeout(r, step.wait));
    } else if ('drip' in step) {
      for (const byte of step.drip) {
        if (!alive()) return;
        socket.write(Buffer.from([byte]));
        await new Promise((r) => setTimeout(r, step.everyMs));
      }
    } else if ('sendForever' in step) {
      while (alive()) {
        if (!socket.write(step.sendForever)) await new Promise((r) => socket.once('drain', r));
        await new Promise((r) => setTimeout(r, step.everyMs));
      }
    }
  }
}

export async function startHostile(host: string, port: number, script: Step[]): Promise<HostilePeer> {
  const sockets = new Set<net.Socket>();
  const peer: HostilePeer = { host, port, connections: 0, stop: async () => undefined };
  const srv = net.createServer((socket) => {
    peer.connections++;
    sockets.add(socket);
    let open = true;
    socket.on('error', () => undefined);
    socket.on('close', () => {
      open = false;
      sockets.delete(socket);
    });
    void play(socket, script, () => open && !socket.destroyed);
  });
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, host, () => resolve());
  });
  peer.stop = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => srv.close(() => r()));
  };
  return peer;
}

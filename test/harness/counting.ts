/** A listener on a loopback address that counts the connections it is given (and drops them). */
import net from 'node:net';

export interface CountingServer {
  port: number;
  touched: () => number;
  reset: () => void;
  close: () => void;
}

/** On `port` (0: any free one). */
export async function countingServer(host: string, port = 0): Promise<CountingServer> {
  let touched = 0;
  const srv = net.createServer((s) => {
    touched++;
    // closed a moment after the connect completed: closed at once, a connect could race with the
    // close and read as refused (which is asked again), and the counts would depend on the race
    s.on('error', () => undefined);
    setTimeout(() => s.destroy(), 50);
  });
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, host, () => resolve());
  });
  return {
    port: (srv.address() as net.AddressInfo).port,
    touched: () => touched,
    reset: () => {
      touched = 0;
    },
    close: () => void srv.close(),
  };
}

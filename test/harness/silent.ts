/**
 * A port that neither accepts nor refuses: a real listening socket whose accept queue is full
 * (listen backlog 0, filled by connections nobody accepts), so the kernel drops further SYNs, as
 * a firewall that drops packets would. Python's socket module, since Node always accepts.
 */
import { spawn } from 'node:child_process';

const SCRIPT = `
import socket, sys, time
host = sys.argv[1]
s = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET)
s.bind((host, 0))
s.listen(0)
port = s.getsockname()[1]
fill = []
for _ in range(4):
    c = socket.socket(s.family)
    c.setblocking(False)
    c.connect_ex((host, port))
    fill.append(c)
time.sleep(0.3)
print(port, flush=True)
time.sleep(600)
`;

export interface SilentPort {
  port: number;
  stop(): void;
}

export function startSilentPort(host: string): Promise<SilentPort> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', SCRIPT, host], { stdio: ['ignore', 'pipe', 'inherit'] });
    const stop = () => void child.kill('SIGKILL');
    process.once('exit', stop);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`silent port helper exited (${code})`)));
    child.stdout.once('data', (b: Buffer) => resolve({ port: Number(b.toString().trim()), stop }));
  });
}

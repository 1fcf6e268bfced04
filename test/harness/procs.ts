/**
 * Test processes: spawn real servers (Orthanc, dcmtk) pinned to one loopback address by the
 * LD_PRELOAD bind shim, wait until they listen, and always stop them (process groups, exit hook).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The harness sources live in test/harness; compiled code runs from dist/test/harness. */
export const SOURCE_DIR = existsSync(path.join(here, 'bindshim.c'))
  ? here
  : path.resolve(here, '../../../test/harness');

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) killGroup(c);
});
// a harness killed by a signal must not leave servers holding the test addresses
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    for (const c of children) killGroup(c);
    process.exit(130);
  });
}

function killGroup(c: ChildProcess): void {
  if (c.pid === undefined || c.exitCode !== null) return;
  try {
    process.kill(-c.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

let shimPath: string | null = null;

/** Compile the bind shim once per machine (cached by source content). */
export function bindShim(): string {
  if (shimPath !== null) return shimPath;
  const src = path.join(SOURCE_DIR, 'bindshim.c');
  const tag = Buffer.from(readFileSync(src)).toString('base64url').length.toString(36);
  const out = path.join(os.tmpdir(), `opendoor-bindshim-${tag}-${process.pid}.so`);
  const r = spawnSync('gcc', ['-shared', '-fPIC', '-O2', '-o', out, src, '-ldl'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot build bind shim: ${r.stderr}`);
  shimPath = out;
  return out;
}

export function tempDir(prefix: string): string {
  const base = path.join(os.tmpdir(), `opendoor-test-${process.getuid?.() ?? 'user'}`);
  mkdirSync(base, { recursive: true });
  return mkdtempSync(path.join(base, `${prefix}-`));
}

export interface Running {
  process: ChildProcess;
  stop(): Promise<void>;
  output(): string;
}

/** Start a server process bound to `bindAddr` (via the shim) and wait for every port to listen. */
export async function startPinned(
  cmd: string,
  args: string[],
  bindAddr: string,
  ports: number[],
  opts: { cwd?: string; timeoutMs?: number } = {},
): Promise<Running> {
  let output = '';
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LD_PRELOAD: bindShim(), OPENDOOR_BIND_ADDR: bindAddr },
  });
  children.add(child);
  const keep = (b: Buffer) => {
    output = (output + b.toString('utf8')).slice(-20000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const running: Running = {
    process: child,
    output: () => output,
    stop: async () => {
      killGroup(child);
      if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
      children.delete(child);
    },
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 20000);
  for (const port of ports) {
    while (!(await listening(bindAddr, port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await running.stop();
        throw new Error(`${cmd} did not listen on ${bindAddr}:${port}:\n${output}`);
      }
      await sleep(50);
    }
  }
  return running;
}

export function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function run(cmd: string, args: string[], opts: { cwd?: string; input?: string } = {}): string {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, input: opts.input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

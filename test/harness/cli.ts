/** Runs the built opendoor CLI as a child process, as a user would. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServiceRecord } from '../../src/output/records.js';

export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');

/** Tests never touch the user's own results database: the default lives in a temp dir. */
const DATA_HOME = mkdtempSync(path.join(os.tmpdir(), 'opendoor-data-'));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export function runCli(args: string[], input?: string, env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, [CLI, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, XDG_DATA_HOME: DATA_HOME, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.stdin.on('error', () => undefined); // a CLI that stops reading its input early (EPIPE) is tested, not a failure
    child.stdin.end(input ?? '');
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, ms: performance.now() - started }));
  });
}

/** Start the CLI without waiting (to interrupt it). */
export function startCli(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, XDG_DATA_HOME: DATA_HOME, ...env },
  });
}

/** Runs the CLI on a pseudo-terminal (python3's pty), as in an interactive shell: stdout and stderr are one stream. */
export function runCliOnTty(args: string[]): Promise<{ code: number; output: string }> {
  const spawnOnPty = 'import pty, sys; sys.exit(pty.spawn(sys.argv[1:]) >> 8)';
  return new Promise((resolve) => {
    const child = spawn('python3', ['-c', spawnOnPty, process.execPath, CLI, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, XDG_DATA_HOME: DATA_HOME },
    });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
  });
}

/** The service records of a `scan --json` run's stdout (JSON Lines; the summary and other records left out). */
export function serviceRecords(stdout: string): ServiceRecord[] {
  return stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ServiceRecord)
    .filter((x) => x.type === 'service');
}

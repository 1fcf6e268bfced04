/**
 * Start-up: a bare `node -e 0`, `opendoor --version`, and a whole scan of one closed port (start,
 * plan, sweep, store, summary), medians of interleaved runs, as ratios to bare Node.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { CLI } from '../test/harness/cli.js';

function ms(args: string[]): number {
  const started = performance.now();
  spawnSync(process.execPath, args, { stdio: 'ignore' });
  return performance.now() - started;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

export function startBench(runs = 11): string[][] {
  const db = path.join(os.tmpdir(), `opendoor-bench-start-${process.pid}.db`);
  const cases: Array<[string, string[]]> = [
    ['node -e 0', ['-e', '0']],
    ['opendoor --version', [CLI, '--version']],
    [
      'opendoor scan 127.0.0.1 -p 9 --depth detect',
      [CLI, 'scan', '127.0.0.1', '-p', '9', '--depth', 'detect', '--db', db],
    ],
  ];
  const times = cases.map(() => [] as number[]);
  for (let r = 0; r < runs; r++) for (const [i, [, args]] of cases.entries()) times[i]?.push(ms(args));
  const bare = median(times[0] ?? []);
  return [
    ['command', 'median ms', 'x bare node'],
    ...cases.map(([name], i) => [name, median(times[i] ?? []).toFixed(0), (median(times[i] ?? []) / bare).toFixed(2)]),
  ];
}

/**
 * Resume benchmark: kill -9 a scan of the local fleet at a random moment, resume it, and compare
 * services and findings with an uninterrupted run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli, startCli } from '../test/harness/cli.js';
import { digest, doneCount, scanRow } from '../test/harness/db.js';

const ARGS = [
  '127.0.77.2-10',
  '127.0.77.20-99',
  '--depth',
  'access',
  '--timeout',
  '1000',
  '--concurrency',
  '4',
  '--seed',
  'c0ffee',
  '--json',
];

export async function resumeBench(runs: number): Promise<string[][]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'opendoor-resume-'));
  const rows = [['run', 'killed after ms', 'hosts done at kill', 'resumed services', 'identical to straight run']];
  try {
    const straight = path.join(dir, 'straight.db');
    await runCli(['scan', ...ARGS, '--db', straight]);
    const expected = await digest(straight);
    for (let i = 1; i <= runs; i++) {
      const db = path.join(dir, `killed${i}.db`);
      const child = startCli(['scan', ...ARGS, '--db', db]);
      const exited = new Promise((r) => child.on('exit', r));
      const wait = 200 + Math.floor(Math.random() * 1400);
      await sleep(wait);
      child.kill('SIGKILL');
      await exited;
      const done = await doneCount(db);
      await runCli(['scan', '--resume', scanRow(db).id, '--db', db, '--json']);
      const got = await digest(db);
      rows.push([
        String(i),
        String(wait),
        String(done),
        String(got.length),
        String(JSON.stringify(got) === JSON.stringify(expected)),
      ]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

/**
 * The store and the queue: records written per second through the Store interface on SQLite and on
 * PostgreSQL (a real server started here), a /16 sweep with the fleet inside written to each, and (BENCH_MEMORY=1) the peak RSS of one worker
 * running a 1,048,576-target scan.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ServiceRecord } from '../src/output/records.js';
import { openStore } from '../src/store/open.js';
import { CLI, runCli } from '../test/harness/cli.js';
import { startPostgres } from '../test/harness/postgres.js';
import { exposure, finding, serviceRecord } from '../test/harness/records.js';
import { measured } from './sweep.js';

const RECORDS = Number(process.env['BENCH_STORE_RECORDS'] ?? 20000);

const record = (i: number): ServiceRecord =>
  serviceRecord(`127.${100 + ((i >> 16) & 63)}.${(i >> 8) & 255}.${i & 255}`, 104, {
    product: 'Orthanc',
    exposure: exposure(3),
    findings: [finding('dicom-open-query')],
  });

async function writeRate(db: string): Promise<number> {
  const store = await openStore(db);
  try {
    await store.beginScan('bench', {});
    const started = performance.now();
    for (let i = 0; i < RECORDS; i++)
      await store.recordHost('bench', [record(i)], { step: BigInt(i + 1), pending: [], hostsDone: i + 1, optedOut: 0 });
    return RECORDS / ((performance.now() - started) / 1000);
  } finally {
    await store.close();
  }
}

async function timedCli(args: string[]): Promise<number> {
  const started = performance.now();
  const r = await runCli(args);
  if (r.code !== 0) throw new Error(`opendoor ${args[0]} failed: ${r.stderr}`);
  return performance.now() - started;
}

export async function storeBench(range: string): Promise<string[][]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'opendoor-bench-store-'));
  const pg = await startPostgres('127.0.88.9');
  try {
    const rows = [['measure', 'SQLite', 'PostgreSQL', 'SQLite/PostgreSQL']];
    const sqlite = await writeRate(path.join(dir, 'w.db'));
    const postgres = await writeRate(await pg.database());
    rows.push([
      `records written per second (${RECORDS}, one host a transaction)`,
      sqlite.toFixed(0),
      postgres.toFixed(0),
      (sqlite / postgres).toFixed(2),
    ]);
    if (range !== 'none') {
      const scan = ['scan', range, '--depth', 'detect', '--rate', '100000', '--concurrency', '64', '--json', '--quiet'];
      const a = await timedCli([...scan, '--db', path.join(dir, 's.db')]);
      const b = await timedCli([...scan, '--db', await pg.database()]);
      rows.push([`scan of ${range}, fleet inside, ms`, a.toFixed(0), b.toFixed(0), (a / b).toFixed(2)]);
    }
    return rows;
  } finally {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Peak RSS of one worker over a 1,048,576-target scan (closed port 9): the bound is 256 MiB. */
export async function workerMemoryBench(range = '127.32.0.0/12'): Promise<string[][]> {
  const pg = await startPostgres('127.0.88.11');
  try {
    const db = await pg.database();
    await timedCli(['scan', range, '-p', '9', '--db', db, '--enqueue', '--quiet', '--rate', '100000']);
    const m = await measured(process.execPath, [CLI, 'worker', '--db', db, '--until-idle', '--quiet']);
    return [
      ['targets', 'worker ms', 'peak RSS MiB'],
      [range, m.ms.toFixed(0), (m.peakKb / 1024).toFixed(0)],
    ];
  } finally {
    await pg.stop();
  }
}

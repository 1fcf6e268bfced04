/** Reading a results database back in tests and benchmarks: a comparable digest, the scan row, progress. */
import Database from 'better-sqlite3';
import { openStore } from '../../src/store/open.js';
import { runCli } from './cli.js';
import { collect } from '../../src/util/async.js';

/**
 * One line per service of the database's latest scan (SQLite file or PostgreSQL URL, read through
 * the store): what must be identical between an interrupted-and-resumed, a sharded or a queued run
 * and a straight one.
 */
export async function digest(db: string): Promise<string[]> {
  const store = await openStore(db, { readOnly: true });
  try {
    const id = await store.latestScanId();
    const rows = id === null ? [] : await collect(store.services(id));
    return rows
      .map(
        (s) =>
          `${s.host}:${s.port} ${s.protocol}/${s.transport} ${s.product ?? '-'} ${s.dicom?.calledAe ?? '-'} ${s.findings
            .map((f) => f.id)
            .sort()
            .join(',')}`,
      )
      .sort();
  } finally {
    await store.close();
  }
}

export function scanRow(db: string): { id: string; status: string } {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare('SELECT id, status FROM scans').get() as { id: string; status: string };
  } finally {
    d.close();
  }
}

export async function doneCount(db: string): Promise<number> {
  try {
    const d = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return (d.prepare('SELECT hosts_done AS n FROM progress').get() as { n: number } | undefined)?.n ?? 0;
    } finally {
      d.close();
    }
  } catch {
    return 0;
  }
}

/** A straight scan on one machine into `db`, and its digest: what interrupted, sharded and queued runs must equal. */
export async function oneMachineRun(scanArgs: string[], db: string): Promise<string[]> {
  const r = await runCli(['scan', ...scanArgs, '--db', db, '--json']);
  if (r.code !== 0) throw new Error(`the straight run failed: ${r.stderr}`);
  const d = await digest(db);
  if (d.length < 10) throw new Error(`the straight run found ${d.length} services`);
  return d;
}

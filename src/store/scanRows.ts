/**
 * Scans with their totals: per host the largest counts (a DICOM port and the REST API of one
 * archive are the same patients), honeypots' bait apart, from the tallies kept as records arrive
 * (tallies.ts: a few rows a scan, whatever its size); hosts done from the scan's progress or its
 * slices.
 */
import type { SqlRunner } from './runner.js';
import type { ScanRow } from './store.js';
import { type Read, type Totals, tallyRows, totalsOf } from './tallies.js';

type Base = Pick<ScanRow, 'id' | 'started' | 'finished' | 'status' | 'args' | 'targets' | 'elapsedMs'>;

const BASE = `SELECT id, started, finished, status, args, targets, elapsed_ms AS "elapsedMs" FROM scans`;
/** Scans summed in one statement. */
const BATCH = 200;

const list = (n: number) => Array.from({ length: n }, () => '?').join(', ');

const doneSql = (n: number) => `SELECT scan_id AS "scanId", SUM(hosts_done) AS "hostsDone", SUM(opted_out) AS "optedOut"
  FROM (SELECT scan_id, hosts_done, opted_out FROM progress WHERE scan_id IN (${list(n)})
        UNION ALL SELECT scan_id, hosts_done, opted_out FROM jobs WHERE scan_id IN (${list(n)})) u
  GROUP BY scan_id`;

export class ScanRows {
  private readonly read: Read;

  constructor(private readonly q: SqlRunner) {
    this.read = (sql, params) => this.q.read(sql, params);
  }

  async one(id: string): Promise<ScanRow | null> {
    return (await this.with(await this.q.read<Base>(`${BASE} WHERE id = ?`, [id])))[0] ?? null;
  }

  async all(): Promise<ScanRow[]> {
    return this.with(await this.q.read<Base>(`${BASE} ORDER BY started, id`));
  }

  private async with(rows: Base[]): Promise<ScanRow[]> {
    const totals = new Map<string, Totals>();
    const done = new Map<string, { hostsDone: number; optedOut: number }>();
    for (let i = 0; i < rows.length; i += BATCH) {
      const ids = rows.slice(i, i + BATCH).map((r) => r.id);
      const [tallies, d] = await Promise.all([
        tallyRows(this.read, ids, ['total', 'group']),
        this.q.read<{ scanId: string; hostsDone: number; optedOut: number }>(doneSql(ids.length), [...ids, ...ids]),
      ]);
      for (const id of ids) totals.set(id, totalsOf(tallies.filter((t) => t.scanId === id)));
      for (const x of d) done.set(x.scanId, { hostsDone: Number(x.hostsDone), optedOut: Number(x.optedOut) });
    }
    return rows.map((r) => ({
      ...r,
      hostsDone: 0,
      optedOut: 0,
      ...done.get(r.id),
      ...(totals.get(r.id) ?? totalsOf([])),
    }));
  }
}

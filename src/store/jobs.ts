/**
 * Slices of queued scans as the SQL store keeps them: which steps of the seeded permutation each
 * covers, who holds it and when it last said so (its heartbeat), the hosts it has finished. The
 * queue (pg-boss) carries the slices to workers; this table is what a scan's totals and state read.
 */
import type { SqlRunner } from './runner.js';
import type { SliceRow } from './store.js';

type Row = Omit<SliceRow, 'from' | 'to'> & { from: string; to: string };
const SELECT =
  'SELECT scan_id AS "scanId", slice, step_from AS "from", step_to AS "to", state, queue_id AS "queueId" FROM jobs';
const toSlice = (r: Row): SliceRow => ({ ...r, from: BigInt(r.from), to: BigInt(r.to) });

export class SqlSlices {
  constructor(private readonly q: SqlRunner) {}

  async add(scanId: string, slices: ReadonlyArray<{ from: bigint; to: bigint }>): Promise<void> {
    await this.q.write(async () => {
      for (const [i, s] of slices.entries())
        await this.q.db.run(
          'INSERT INTO jobs (scan_id, slice, step_from, step_to) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
          [scanId, i, s.from.toString(), s.to.toString()],
        );
    });
  }

  /** These slices of a scan, in slice order (those not in the store left out). */
  async get(scanId: string, slices: readonly number[]): Promise<SliceRow[]> {
    if (slices.length === 0) return [];
    const rows = await this.q.read<Row>(
      `${SELECT} WHERE scan_id = ? AND slice IN (${slices.map(() => '?').join(', ')}) ORDER BY slice`,
      [scanId, ...slices],
    );
    return rows.map(toSlice);
  }

  /**
   * A worker takes slices, in one transaction: running, their heartbeat now, their hosts counted
   * again from 0 (a slice run again replaces its records).
   */
  async hold(scanId: string, slices: ReadonlyArray<{ slice: number; queueId: string }>, worker: string): Promise<void> {
    await this.q.write(async () => {
      const now = Date.now();
      for (const s of slices)
        await this.q.db.run(
          "UPDATE jobs SET state = 'running', worker = ?, queue_id = ?, beat = ?, hosts_done = 0, opted_out = 0 WHERE scan_id = ? AND slice = ?",
          [worker, s.queueId, now, scanId, s.slice],
        );
      await this.q.db.run("UPDATE scans SET status = 'running' WHERE id = ? AND status = 'queued'", [scanId]);
    });
  }

  async beat(worker: string): Promise<void> {
    await this.q.write(() =>
      this.q.db.run("UPDATE jobs SET beat = ? WHERE worker = ? AND state = 'running'", [Date.now(), worker]),
    );
  }

  /**
   * Slices done, each with its hosts, in one transaction; the last of its scan also finishes the
   * scan. Answers how many of the scan's slices are left.
   */
  async done(
    scanId: string,
    slices: ReadonlyArray<{ slice: number; hostsDone: number; optedOut: number }>,
    scan: { targets: number; elapsedMs: number },
  ): Promise<number> {
    return this.q.write(async () => {
      for (const s of slices)
        await this.q.db.run(
          "UPDATE jobs SET state = 'done', worker = NULL, hosts_done = ?, opted_out = ? WHERE scan_id = ? AND slice = ?",
          [s.hostsDone, s.optedOut, scanId, s.slice],
        );
      const left = await this.q.db.all<{ n: number }>(
        "SELECT COUNT(*) AS n FROM jobs WHERE scan_id = ? AND state <> 'done'",
        [scanId],
      );
      const n = left[0]?.n ?? 0;
      if (n === 0) await this.finish(scanId, scan.targets, scan.elapsedMs);
      return n;
    });
  }

  /** Back to the queue: slices their worker gave up (stopped at once). */
  async release(scanId: string, slices: readonly number[], worker: string): Promise<void> {
    await this.q.write(async () => {
      for (const slice of slices)
        await this.q.db.run(
          "UPDATE jobs SET state = 'queued', worker = NULL WHERE scan_id = ? AND slice = ? AND worker = ?",
          [scanId, slice, worker],
        );
    });
  }

  /** Slices whose worker has not said it lives since `before` (ms since the epoch): back to queued, and returned so the queue retries them. */
  async releaseStale(before: number): Promise<SliceRow[]> {
    return this.q.write(async () => {
      const stale = await this.q.db.all<Row>(`${SELECT} WHERE state = 'running' AND beat < ?`, [before]);
      const released: SliceRow[] = [];
      for (const r of stale) {
        const n = await this.q.db.run(
          "UPDATE jobs SET state = 'queued', worker = NULL WHERE scan_id = ? AND slice = ? AND state = 'running' AND beat < ?",
          [r.scanId, r.slice, before],
        );
        if (n === 1) released.push(toSlice(r));
      }
      return released;
    });
  }

  /** Slices not done, of every scan (queued or held). */
  async open(): Promise<number> {
    return (await this.q.read<{ n: number }>("SELECT COUNT(*) AS n FROM jobs WHERE state <> 'done'"))[0]?.n ?? 0;
  }

  /** A queued scan whose last slice is done: done once, whoever finishes last (two may). */
  async completeScan(id: string, targets: number, elapsedMs: number): Promise<void> {
    await this.q.write(() => this.finish(id, targets, elapsedMs));
  }

  /** `targets`: the plan's; those its slices' opt-outs left out are not targets. */
  private async finish(id: string, targets: number, elapsedMs: number): Promise<void> {
    await this.q.db.run(
      `UPDATE scans SET status = 'done', finished = ?, elapsed_ms = ?,
        targets = ? - COALESCE((SELECT SUM(opted_out) FROM jobs WHERE scan_id = ?), 0) WHERE id = ? AND status <> 'done'`,
      [new Date().toISOString(), elapsedMs, targets, id, id],
    );
  }
}

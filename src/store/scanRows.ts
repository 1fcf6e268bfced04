/**
 * Scans with their totals: per host the largest counts (a DICOM port and the REST API of one
 * archive are the same patients), honeypots' bait apart, hosts done from the scan's progress or
 * its slices. Totals are summed for the scans asked only; a finished scan's totals are kept (the
 * dashboard asks for them on every page) once its clusters are judged too (its print key gone:
 * the judgement rewrites a fleet's records, maybe in another process), until this store writes to
 * that scan again. A worker
 * elsewhere that writes a finished scan again (a slice run twice) writes the same records.
 */
import { networkLabel } from '../output/records.js';
import type { SqlRunner } from './runner.js';
import type { ScanRow, Tallies } from './store.js';

type Base = Pick<ScanRow, 'id' | 'started' | 'finished' | 'status' | 'args' | 'targets' | 'elapsedMs'>;
type Totals = Omit<ScanRow, keyof Base>;
type Row = Base & { judging: number };

// a scan whose print key is still there has its clusters to judge (engine/clusters.ts): its records may change yet
const BASE = `SELECT id, started, finished, status, args, targets, elapsed_ms AS "elapsedMs",
  (SELECT COUNT(*) FROM scan_keys k WHERE k.scan_id = scans.id) AS judging FROM scans`;
const ZERO: Totals = {
  hostsDone: 0,
  optedOut: 0,
  services: 0,
  exposed: 0,
  patients: 0,
  studies: 0,
  instances: 0,
  honeypotServices: 0,
  honeypotPatients: 0,
  honeypotStudies: 0,
};
/** Finished scans' totals kept at most (a few hundred bytes each). */
const KEEP = 10_000;
/** Scans summed in one statement. */
const BATCH = 200;

const list = (n: number) => Array.from({ length: n }, () => '?').join(', ');

const totalsSql = (n: number) => `SELECT scan_id AS "scanId", SUM(n) AS services, SUM(x) AS exposed, SUM(p) AS patients,
    SUM(st) AS studies, SUM(i) AS instances, SUM(hn) AS "honeypotServices", SUM(hp) AS "honeypotPatients",
    SUM(hs) AS "honeypotStudies"
  FROM (SELECT scan_id, host, COUNT(*) AS n, SUM(exposed) AS x,
          MAX(CASE WHEN honeypot = 0 THEN patients ELSE 0 END) AS p, MAX(CASE WHEN honeypot = 0 THEN studies ELSE 0 END) AS st,
          MAX(CASE WHEN honeypot = 0 THEN instances ELSE 0 END) AS i, SUM(honeypot) AS hn,
          MAX(CASE WHEN honeypot = 1 THEN patients ELSE 0 END) AS hp, MAX(CASE WHEN honeypot = 1 THEN studies ELSE 0 END) AS hs
        FROM services WHERE scan_id IN (${list(n)}) GROUP BY scan_id, host) h
  GROUP BY scan_id`;

const doneSql = (n: number) => `SELECT scan_id AS "scanId", SUM(hosts_done) AS "hostsDone", SUM(opted_out) AS "optedOut"
  FROM (SELECT scan_id, hosts_done, opted_out FROM progress WHERE scan_id IN (${list(n)})
        UNION ALL SELECT scan_id, hosts_done, opted_out FROM jobs WHERE scan_id IN (${list(n)})) u
  GROUP BY scan_id`;

const EXPOSED = 'FROM services WHERE scan_id = ? AND exposed = 1 AND honeypot = 0';

export class ScanRows {
  private readonly finished = new Map<string, Totals>();

  constructor(private readonly q: SqlRunner) {}

  /** Records written to a scan (again, after it was done: a slice run twice): its totals are summed anew. */
  forget(id: string): void {
    this.finished.delete(id);
  }

  /** Kept once done and its clusters judged (by whichever process): its records change no more. */
  private static final(r: Row): boolean {
    return r.status === 'done' && Number(r.judging) === 0;
  }

  async one(id: string): Promise<ScanRow | null> {
    return (await this.with(await this.q.read<Row>(`${BASE} WHERE id = ?`, [id])))[0] ?? null;
  }

  async all(): Promise<ScanRow[]> {
    return this.with(await this.q.read<Row>(`${BASE} ORDER BY started, id`));
  }

  async tallies(id: string): Promise<Tallies> {
    const pairs = async (sql: string): Promise<Array<[string, number]>> =>
      (await this.q.read<{ k: string | number | null; n: number }>(sql, [id])).map((r) => [
        String(r.k ?? 'unidentified'),
        r.n,
      ]);
    return {
      bySeverity: await pairs('SELECT severity AS k, COUNT(*) AS n FROM findings WHERE scan_id = ? GROUP BY severity'),
      byProduct: await pairs(`SELECT product AS k, COUNT(*) AS n ${EXPOSED} GROUP BY product`),
      byPort: await pairs(`SELECT port AS k, COUNT(*) AS n ${EXPOSED} GROUP BY port`),
      byHost: await pairs(`SELECT host AS k, COUNT(*) AS n ${EXPOSED} GROUP BY host`),
      byNetwork: await this.networks(
        `SELECT asn, as_name AS "asName", COUNT(*) AS n ${EXPOSED} GROUP BY asn, as_name`,
        id,
      ),
      // a host's patients once (its largest exposure), whatever number of its ports show them
      byNetworkPatients: await this.networks(
        `SELECT asn, "asName", SUM(p) AS n FROM (SELECT host, asn, as_name AS "asName", MAX(patients) AS p ${EXPOSED}
           GROUP BY host, asn, as_name) hosts GROUP BY asn, "asName"`,
        id,
      ),
    };
  }

  /** [label, n] by AS: "AS64500 Name", or "unknown" (no data covers the address, or a record older than attribution). */
  private async networks(sql: string, id: string): Promise<Array<[string, number]>> {
    const rows = await this.q.read<{ asn: number | string | null; asName: string | null; n: number | string }>(sql, [
      id,
    ]);
    return rows.map((r) => [networkLabel(r.asn === null ? null : Number(r.asn), r.asName), Number(r.n)]);
  }

  private async with(rows: Row[]): Promise<ScanRow[]> {
    const missing = rows.filter((r) => !(ScanRows.final(r) && this.finished.has(r.id))).map((r) => r.id);
    const fresh = new Map<string, Totals>();
    for (let i = 0; i < missing.length; i += BATCH) {
      const ids = missing.slice(i, i + BATCH);
      const sums = await this.q.read<Partial<Totals> & { scanId: string }>(totalsSql(ids.length), ids);
      const done = await this.q.read<{ scanId: string; hostsDone: number; optedOut: number }>(doneSql(ids.length), [
        ...ids,
        ...ids,
      ]);
      for (const id of ids) fresh.set(id, { ...ZERO });
      for (const { scanId, ...t } of sums) Object.assign(fresh.get(scanId) ?? {}, t);
      for (const d of done) Object.assign(fresh.get(d.scanId) ?? {}, { hostsDone: d.hostsDone, optedOut: d.optedOut });
    }
    return rows.map(({ judging, ...r }) => {
      const final = ScanRows.final({ ...r, judging });
      const t = (final ? this.finished.get(r.id) : undefined) ?? fresh.get(r.id) ?? ZERO;
      if (final && !this.finished.has(r.id) && this.finished.size < KEEP) this.finished.set(r.id, t);
      return { ...r, ...t };
    });
  }
}

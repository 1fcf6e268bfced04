/**
 * The store over SQL, one implementation for both backends (their drivers differ, not the logic):
 * every operation runs in turn on one connection (so a transaction never interleaves with another
 * write), every write that belongs together in one transaction, reads a page at a time.
 */
import { type ServiceRecord, type SummaryRecord, counted, isExposedRecord } from '../output/records.js';
import type { InputJournal, ResumeState, WorkItem } from '../types/work.js';
import type { SqlDriver } from './driver.js';
import type { HostPrints } from '../fingerprint/cluster.js';
import { SqlAccounts } from './accounts.js';
import { SqlClusters, writePrints } from './clusters.js';
import { SqlSlices } from './jobs.js';
import { SqlMonitors, SqlNotes } from './monitors.js';
import { SqlRdapCache } from './rdapCache.js';
import { SqlInputs } from './journal.js';
import { SqlOptOuts } from './optouts.js';
import { SqlCampaigns } from './campaigns.js';
import { PAGE, SqlRunner } from './runner.js';
import { ScanRows } from './scanRows.js';
import { type HostItem, hostPage, servicesPage } from './pages.js';
import { type Read, breakdown, tallied } from './tallies.js';
import type { SqlValue } from './driver.js';
import type {
  Cursor,
  Page,
  QueueHome,
  ScanRow,
  ScanState,
  ServiceFilter,
  Store,
  StoredLine,
  Tallies,
} from './store.js';

const upsertServices = (
  n: number,
) => `INSERT INTO services (scan_id, host, port, protocol, product, exposed, patients, studies, instances, honeypot, record, asn, as_name)
  VALUES ${Array.from({ length: n }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')} ON CONFLICT (scan_id, host, port) DO UPDATE SET protocol = excluded.protocol,
  product = excluded.product, exposed = excluded.exposed, patients = excluded.patients, studies = excluded.studies,
  instances = excluded.instances, honeypot = excluded.honeypot, record = excluded.record, asn = excluded.asn,
  as_name = excluded.as_name`;
const UPSERT_PROGRESS = `INSERT INTO progress (scan_id, step, pending, hosts_done, opted_out) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (scan_id) DO UPDATE SET step = excluded.step, pending = excluded.pending, hosts_done = excluded.hosts_done,
  opted_out = excluded.opted_out`;

/** Rows one INSERT writes at most (13 parameters each: far below either backend's limit). */
const ROWS_A_STATEMENT = 200;

function serviceRow(scanId: string, r: ServiceRecord): SqlValue[] {
  const e = r.exposure;
  return [
    scanId,
    r.host,
    r.port,
    r.protocol,
    r.product,
    isExposedRecord(r) ? 1 : 0,
    e?.patients ?? 0,
    e?.studies ?? 0,
    e?.instances ?? 0,
    counted(r) ? 0 : 1, // a suspected honeypot's bait is in its record, never in a total
    JSON.stringify(r),
    r.network?.asn ?? null,
    r.network?.asName ?? null,
  ];
}

export class SqlStore implements Store {
  private readonly inputsOf: SqlInputs;
  readonly slices: SqlSlices;
  readonly accounts: SqlAccounts;
  readonly monitors: SqlMonitors;
  readonly notes: SqlNotes;
  readonly rdap: SqlRdapCache;
  readonly optouts: SqlOptOuts;
  readonly clusters: SqlClusters;
  readonly campaigns: SqlCampaigns;
  private readonly rows: ScanRows;
  private readonly read: Read = (sql, params) => this.q.read(sql, params);

  private constructor(
    private readonly q: SqlRunner,
    readonly queue: QueueHome | null,
  ) {
    this.inputsOf = new SqlInputs(q);
    this.slices = new SqlSlices(q);
    this.accounts = new SqlAccounts(q);
    this.monitors = new SqlMonitors(q);
    this.notes = new SqlNotes(q);
    this.rdap = new SqlRdapCache(q);
    this.optouts = new SqlOptOuts(q);
    this.clusters = new SqlClusters(q);
    this.campaigns = new SqlCampaigns(q);
    this.rows = new ScanRows(q);
  }

  get where(): string {
    return this.q.where;
  }

  /** A store on an open driver, its schema brought to this release's version. */
  static async open(db: SqlDriver, where: string): Promise<SqlStore & { queue: null }>;
  static async open(db: SqlDriver, where: string, queue: QueueHome): Promise<SqlStore & { queue: QueueHome }>;
  static async open(db: SqlDriver, where: string, queue: QueueHome | null = null): Promise<SqlStore> {
    return new SqlStore(await SqlRunner.open(db, where), queue);
  }

  async beginScan(id: string, args: unknown, status: ScanState = 'running'): Promise<void> {
    await this.q.write(() =>
      this.q.db.run('INSERT INTO scans (id, started, status, args) VALUES (?, ?, ?, ?)', [
        id,
        new Date().toISOString(),
        status,
        JSON.stringify(args),
      ]),
    );
  }

  scan(id: string): Promise<ScanRow | null> {
    return this.rows.one(id);
  }

  listScans(): Promise<ScanRow[]> {
    return this.rows.all();
  }

  tallies(scanId: string): Promise<Tallies> {
    return breakdown(this.read, scanId);
  }

  async latestScanId(): Promise<string | null> {
    return (
      (await this.q.read<{ id: string }>('SELECT id FROM scans ORDER BY started DESC, id DESC LIMIT 1'))[0]?.id ?? null
    );
  }

  async setStatus(id: string, status: ScanState): Promise<void> {
    await this.q.write(() => this.q.db.run('UPDATE scans SET status = ? WHERE id = ?', [status, id]));
  }

  async finishScan(id: string, status: 'interrupted' | 'done', targets: number, elapsedMs: number): Promise<void> {
    await this.q.write(() =>
      this.q.db.run(
        'UPDATE scans SET status = ?, finished = ?, targets = ?, elapsed_ms = elapsed_ms + ? WHERE id = ?',
        [status, status === 'done' ? new Date().toISOString() : null, targets, elapsedMs, id],
      ),
    );
  }

  async saveProgress(scanId: string, state: ResumeState): Promise<void> {
    await this.q.write(() => this.storeProgress(scanId, state));
  }

  private storeProgress(scanId: string, state: ResumeState): Promise<number> {
    return this.q.db.run(UPSERT_PROGRESS, [
      scanId,
      state.step.toString(),
      JSON.stringify(state.pending.map(String)),
      state.hostsDone,
      state.optedOut,
    ]);
  }

  async progress(scanId: string): Promise<ResumeState> {
    const row = (
      await this.q.read<{ step: string; pending: string; hostsDone: number; optedOut: number }>(
        'SELECT step, pending, hosts_done AS "hostsDone", opted_out AS "optedOut" FROM progress WHERE scan_id = ?',
        [scanId],
      )
    )[0];
    if (row === undefined) return { step: 0n, pending: [], hostsDone: 0, optedOut: 0 };
    return {
      step: BigInt(row.step),
      pending: (JSON.parse(row.pending) as string[]).map((x) => BigInt(x)),
      hostsDone: row.hostsDone,
      optedOut: row.optedOut,
    };
  }

  async recordHost(
    scanId: string,
    records: readonly ServiceRecord[],
    state: ResumeState | null,
    prints?: { host: string; prints: HostPrints },
  ): Promise<void> {
    await this.q.write(async () => {
      await tallied(
        this.q.db,
        scanId,
        records.map((r) => r.host),
        () => this.insertRecords(scanId, records),
      );
      if (prints !== undefined) await writePrints(this.q.db, scanId, prints.host, prints.prints);
      if (state !== null) await this.storeProgress(scanId, state);
    });
  }

  /** Records and their findings, many rows a statement (a port written twice in one batch: its last record). */
  private async insertRecords(scanId: string, all: readonly ServiceRecord[]): Promise<void> {
    const records = [...new Map(all.map((r) => [`${r.host} ${r.port}`, r])).values()];
    const db = this.q.db;
    for (let i = 0; i < records.length; i += ROWS_A_STATEMENT) {
      const part = records.slice(i, i + ROWS_A_STATEMENT);
      await db.run(
        upsertServices(part.length),
        part.flatMap((r) => serviceRow(scanId, r)),
      );
      // written again, a port's findings are the new ones only
      const hosts = [...new Set(part.map((r) => r.host))];
      const had = new Set(
        (
          await db.all<{ host: string; port: number }>(
            `SELECT DISTINCT host, port FROM findings WHERE scan_id = ? AND host IN (${hosts.map(() => '?').join(', ')})`,
            [scanId, ...hosts],
          )
        ).map((f) => `${f.host} ${Number(f.port)}`),
      );
      const again = part.filter((r) => had.has(`${r.host} ${r.port}`));
      if (again.length > 0)
        await db.run(
          `DELETE FROM findings WHERE scan_id = ? AND (${again.map(() => '(host = ? AND port = ?)').join(' OR ')})`,
          [scanId, ...again.flatMap((r) => [r.host, r.port])],
        );
      const findings = part.flatMap((r) => r.findings.map((f) => [scanId, r.host, r.port, f.id, f.severity]));
      for (let j = 0; j < findings.length; j += ROWS_A_STATEMENT) {
        const some = findings.slice(j, j + ROWS_A_STATEMENT);
        await db.run(
          `INSERT INTO findings (scan_id, host, port, finding, severity) VALUES ${some.map(() => '(?, ?, ?, ?, ?)').join(', ')}
            ON CONFLICT DO NOTHING`,
          some.flat(),
        );
      }
    }
  }

  async addServices(scanId: string, records: AsyncIterable<ServiceRecord>): Promise<number> {
    let n = 0;
    let batch: ServiceRecord[] = [];
    const flush = async () => {
      const b = batch;
      batch = [];
      await this.recordHost(scanId, b, null);
    };
    for await (const r of records) {
      batch.push(r);
      n++;
      if (batch.length >= PAGE) await flush();
    }
    await flush();
    return n;
  }

  async *services(scanId: string): AsyncGenerator<ServiceRecord> {
    // keyset paging: no cursor held open while the caller (or the scan) writes between pages
    let after: { host: string; port: number } | null = null;
    for (;;) {
      const rows: Array<{ host: string; port: number; record: string }> = await this.q.read(
        after === null
          ? 'SELECT host, port, record FROM services WHERE scan_id = ? ORDER BY host, port LIMIT ?'
          : 'SELECT host, port, record FROM services WHERE scan_id = ? AND (host > ? OR (host = ? AND port > ?)) ORDER BY host, port LIMIT ?',
        after === null ? [scanId, PAGE] : [scanId, after.host, after.host, after.port, PAGE],
      );
      for (const row of rows) yield JSON.parse(row.record) as ServiceRecord;
      const last = rows.at(-1);
      if (last === undefined || rows.length < PAGE) return;
      after = { host: last.host, port: last.port };
    }
  }

  servicesPage(scanId: string, limit: number, offset: number, f: ServiceFilter = {}): Promise<Page<ServiceRecord>> {
    return servicesPage(this.read, scanId, limit, offset, f);
  }

  hostRecords(host: string, limit: number, offset: number, at: Cursor = {}): Promise<Page<HostItem>> {
    return hostPage(this.read, host, limit, offset, at);
  }

  async summary(scanId: string): Promise<SummaryRecord> {
    const r = await this.scan(scanId);
    return {
      type: 'summary',
      scanId,
      targets: r?.targets ?? 0,
      optedOut: r?.optedOut ?? 0,
      services: r?.services ?? 0,
      exposedServices: r?.exposed ?? 0,
      patients: r?.patients ?? 0,
      studies: r?.studies ?? 0,
      instances: r?.instances ?? 0,
      honeypots: {
        services: r?.honeypotServices ?? 0,
        patients: r?.honeypotPatients ?? 0,
        studies: r?.honeypotStudies ?? 0,
      },
      clusters: (await this.clusters.list(scanId)).map((c) => ({
        id: c.id,
        size: c.size,
        basis: c.basis,
        fleet: c.fleet,
      })),
      elapsedMs: r?.elapsedMs ?? 0,
    };
  }

  async journal(scanId: string): Promise<InputJournal> {
    return this.inputsOf.journal(scanId);
  }

  inputLines(scanId: string): Promise<StoredLine[]> {
    return this.inputsOf.lines(scanId);
  }

  inputCount(scanId: string): Promise<number> {
    return this.inputsOf.count(scanId);
  }

  inputs(scanId: string, from: ResumeState): AsyncGenerator<WorkItem> {
    return this.inputsOf.items(scanId, from);
  }

  close(): Promise<void> {
    return this.q.close();
  }
}

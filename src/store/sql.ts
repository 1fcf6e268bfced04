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
import type { SqlValue } from './driver.js';
import type { QueueHome, ScanRow, ScanState, ServiceFilter, Store, StoredLine, Tallies } from './store.js';

const UPSERT_SERVICE = `INSERT INTO services (scan_id, host, port, protocol, product, exposed, patients, studies, instances, honeypot, record, asn, as_name)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (scan_id, host, port) DO UPDATE SET protocol = excluded.protocol,
  product = excluded.product, exposed = excluded.exposed, patients = excluded.patients, studies = excluded.studies,
  instances = excluded.instances, honeypot = excluded.honeypot, record = excluded.record, asn = excluded.asn,
  as_name = excluded.as_name`;
const UPSERT_PROGRESS = `INSERT INTO progress (scan_id, step, pending, hosts_done, opted_out) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (scan_id) DO UPDATE SET step = excluded.step, pending = excluded.pending, hosts_done = excluded.hosts_done,
  opted_out = excluded.opted_out`;

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
    return this.rows.tallies(scanId);
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
      for (const r of records) await this.insertRecord(scanId, r);
      if (prints !== undefined) await writePrints(this.q.db, scanId, prints.host, prints.prints);
      if (state !== null) await this.storeProgress(scanId, state);
    });
    this.rows.forget(scanId);
  }

  private async insertRecord(scanId: string, r: ServiceRecord): Promise<void> {
    const e = r.exposure;
    await this.q.db.run(UPSERT_SERVICE, [
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
    ]);
    // written again, a port's findings are the new ones only
    await this.q.db.run('DELETE FROM findings WHERE scan_id = ? AND host = ? AND port = ?', [scanId, r.host, r.port]);
    for (const f of r.findings)
      await this.q.db.run(
        'INSERT INTO findings (scan_id, host, port, finding, severity) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
        [scanId, r.host, r.port, f.id, f.severity],
      );
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

  async servicesPage(
    scanId: string,
    limit: number,
    offset: number,
    f: ServiceFilter = {},
  ): Promise<{ items: ServiceRecord[]; total: number }> {
    const where = ['scan_id = ?'];
    const params: SqlValue[] = [scanId];
    const add = (sql: string, v: SqlValue) => {
      where.push(sql);
      params.push(v);
    };
    if (f.exposed !== undefined) add('exposed = ?', f.exposed ? 1 : 0);
    if (f.protocol !== undefined) add('protocol = ?', f.protocol);
    if (f.product !== undefined) add('product = ?', f.product);
    if (f.port !== undefined) add('port = ?', f.port);
    if (f.host !== undefined) {
      add('substr(host, 1, ?) = ?', f.host.length);
      params.push(f.host);
    }
    const dir = f.desc === true ? 'DESC' : 'ASC';
    // a column from the list, never from the request
    const order = { host: 'host', port: 'port', product: 'product', patients: 'patients', studies: 'studies' }[
      f.sort ?? 'host'
    ];
    const cond = where.join(' AND ');
    // the page's keys from the index first, then only their records (an offset skips keys, not records)
    const sorted = `ORDER BY ${order} ${dir}, host, port`;
    const rows = await this.q.read<{ record: string }>(
      `SELECT record FROM services WHERE scan_id = ? AND (host, port) IN
         (SELECT host, port FROM services WHERE ${cond} ${sorted} LIMIT ? OFFSET ?) ${sorted}`,
      [scanId, ...params, limit, offset],
    );
    const total = (await this.q.read<{ n: number }>(`SELECT COUNT(*) AS n FROM services WHERE ${cond}`, params))[0];
    return { items: rows.map((r) => JSON.parse(r.record) as ServiceRecord), total: total?.n ?? 0 };
  }

  async hostRecords(
    host: string,
    limit: number,
    offset: number,
  ): Promise<{ items: Array<{ scanId: string; started: string; record: ServiceRecord }>; total: number }> {
    const rows = await this.q.read<{ scanId: string; started: string; record: string }>(
      `SELECT v.scan_id AS "scanId", s.started, v.record FROM services v JOIN scans s ON s.id = v.scan_id
        WHERE v.host = ? ORDER BY s.started DESC, v.scan_id DESC, v.port LIMIT ? OFFSET ?`,
      [host, limit, offset],
    );
    const total = (await this.q.read<{ n: number }>('SELECT COUNT(*) AS n FROM services WHERE host = ?', [host]))[0];
    return {
      items: rows.map((r) => ({ scanId: r.scanId, started: r.started, record: JSON.parse(r.record) as ServiceRecord })),
      total: total?.n ?? 0,
    };
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

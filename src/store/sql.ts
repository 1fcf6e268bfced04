/**
 * The store over SQL, one implementation for both backends (their drivers differ, not the logic):
 * every operation runs in turn on one connection (so a transaction never interleaves with another
 * write), every write that belongs together in one transaction, reads a page at a time.
 */
import { type ServiceRecord, type SummaryRecord, counted, isExposedRecord } from '../output/records.js';
import type { InputJournal, ResumeState, WorkItem } from '../types/work.js';
import { ConnectionLostError, type SqlDriver, type SqlValue } from './driver.js';
import { SCHEMA_VERSION, VERSION_TABLE, migrationsAfter } from './schema.js';
import { type ScanRow, type ScanState, type Store, StoreError, type StoredLine } from './store.js';

/** Rows read at once when records or a streamed scan's input are read back. */
const PAGE = 512;
/** Journal writes of a streamed scan held in one transaction at most, and for at most this long (they commit with the next other write before that). */
const JOURNAL_BATCH = 4096;
const JOURNAL_MS = 50;
/** A write cut off by lost connections is tried this many times in all. */
const WRITE_ATTEMPTS = 3;

/** Scans with their totals; per host the largest counts (a DICOM port and the REST API of one archive are the same patients); honeypots' bait apart. */
const SCAN_ROWS = `SELECT s.id, s.started, s.finished, s.status, s.args, s.targets, COALESCE(g.hosts_done, 0) AS "hostsDone",
       s.elapsed_ms AS "elapsedMs", COALESCE(t.n, 0) AS services, COALESCE(t.x, 0) AS exposed, COALESCE(t.p, 0) AS patients,
       COALESCE(t.st, 0) AS studies, COALESCE(t.i, 0) AS instances, COALESCE(t.hn, 0) AS "honeypotServices",
       COALESCE(t.hp, 0) AS "honeypotPatients", COALESCE(t.hs, 0) AS "honeypotStudies"
  FROM scans s LEFT JOIN progress g ON g.scan_id = s.id
  LEFT JOIN (SELECT scan_id, SUM(n) AS n, SUM(x) AS x, SUM(p) AS p, SUM(st) AS st, SUM(i) AS i, SUM(hn) AS hn, SUM(hp) AS hp, SUM(hs) AS hs
    FROM (SELECT scan_id, host, COUNT(*) AS n, SUM(exposed) AS x,
            MAX(CASE WHEN honeypot = 0 THEN patients ELSE 0 END) AS p, MAX(CASE WHEN honeypot = 0 THEN studies ELSE 0 END) AS st,
            MAX(CASE WHEN honeypot = 0 THEN instances ELSE 0 END) AS i, SUM(honeypot) AS hn,
            MAX(CASE WHEN honeypot = 1 THEN patients ELSE 0 END) AS hp, MAX(CASE WHEN honeypot = 1 THEN studies ELSE 0 END) AS hs
          FROM services GROUP BY scan_id, host) h GROUP BY scan_id) t ON t.scan_id = s.id`;

const UPSERT_SERVICE = `INSERT INTO services (scan_id, host, port, protocol, product, exposed, patients, studies, instances, honeypot, record)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (scan_id, host, port) DO UPDATE SET protocol = excluded.protocol,
  product = excluded.product, exposed = excluded.exposed, patients = excluded.patients, studies = excluded.studies,
  instances = excluded.instances, honeypot = excluded.honeypot, record = excluded.record`;
const UPSERT_PROGRESS = `INSERT INTO progress (scan_id, step, pending, hosts_done) VALUES (?, ?, ?, ?)
  ON CONFLICT (scan_id) DO UPDATE SET step = excluded.step, pending = excluded.pending, hosts_done = excluded.hosts_done`;

type InputRow = { idx: number; host: string; ports: string; open: number };
const inputItem = (row: InputRow): WorkItem => ({
  idx: BigInt(row.idx),
  host: row.host,
  ports: JSON.parse(row.ports) as number[],
  open: row.open === 1,
});

export class SqlStore implements Store {
  /** The end of the line of operations: each runs when the one before has settled. */
  private tail: Promise<unknown> = Promise.resolve();
  /** Next arrival index of each streamed scan written through this connection. */
  private readonly nextInput = new Map<string, number>();
  /** Journal writes in the open transaction (0: none open), and the timer that commits it. */
  private journalOps = 0;
  private journalTimer: NodeJS.Timeout | null = null;
  private closed = false;

  private constructor(
    private readonly db: SqlDriver,
    readonly where: string,
  ) {}

  /** A store on an open driver, its schema brought to this release's version. */
  static async open(db: SqlDriver, where: string): Promise<SqlStore> {
    const s = new SqlStore(db, where);
    try {
      await s.migrate();
    } catch (e) {
      await db.close().catch(() => undefined);
      throw e;
    }
    return s;
  }

  private async migrate(): Promise<void> {
    const at = async (): Promise<number | null> =>
      (await this.db.all<{ v: number | null }>('SELECT MAX(version) AS v FROM opendoor_schema'))[0]?.v ?? null;
    await this.db.exec(VERSION_TABLE);
    let version = await at();
    if (version === SCHEMA_VERSION) return;
    if (version !== null && version > SCHEMA_VERSION) throw newerSchema(this.where, version);
    await this.db.exec('BEGIN');
    try {
      if (this.db.migrationLock !== '') await this.db.exec(this.db.migrationLock);
      version = (await at()) ?? (await this.db.legacyVersion()) ?? 0; // again: another opener may have migrated meanwhile
      if (version > SCHEMA_VERSION) throw newerSchema(this.where, version);
      for (const step of migrationsAfter(version, this.db.dialect)) await this.db.exec(step);
      await this.db.run('DELETE FROM opendoor_schema');
      await this.db.run('INSERT INTO opendoor_schema (version) VALUES (?)', [SCHEMA_VERSION]);
      await this.db.exec('COMMIT');
    } catch (e) {
      await this.db.exec('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  /** Runs `fn` when every operation before it has settled. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const r = this.tail.then(() => {
      if (this.closed) throw new StoreError(`the store ${this.where} is closed`);
      return fn();
    });
    this.tail = r.catch(() => undefined);
    return r;
  }

  /**
   * Every write but the journal's: one transaction, after committing the journal writes waiting
   * before it. Cut off by a lost connection, it runs again whole once the driver is connected again
   * (every write is keyed: twice is the same as once).
   */
  private write<T>(fn: () => Promise<T>): Promise<T> {
    return this.serial(async () => {
      await this.commitJournal();
      for (let attempt = 1; ; attempt++) {
        try {
          await this.db.exec('BEGIN');
          const r = await fn();
          await this.db.exec('COMMIT');
          return r;
        } catch (e) {
          await this.db.exec('ROLLBACK').catch(() => undefined);
          if (!(e instanceof ConnectionLostError) || attempt >= WRITE_ATTEMPTS) throw e;
        }
      }
    });
  }

  /**
   * A streamed scan's journal (a line, an item, a line done): three writes a line, so they share a
   * transaction, committed with the next other write, after JOURNAL_BATCH of them or JOURNAL_MS
   * after the first (an input that goes quiet). A kill loses at most that much of the input, as it
   * loses what sits in the pipe.
   */
  private journalWrite<T>(fn: () => Promise<T>): Promise<T> {
    return this.serial(async () => {
      if (this.journalOps === 0) {
        await this.db.exec('BEGIN');
        this.journalTimer = setTimeout(
          () => void this.serial(() => this.commitJournal()).catch(() => undefined),
          JOURNAL_MS,
        );
        this.journalTimer.unref();
      }
      this.journalOps++;
      const r = await fn();
      if (this.journalOps >= JOURNAL_BATCH) await this.commitJournal();
      return r;
    });
  }

  private async commitJournal(): Promise<void> {
    if (this.journalOps === 0) return;
    this.journalOps = 0;
    if (this.journalTimer !== null) clearTimeout(this.journalTimer);
    this.journalTimer = null;
    await this.db.exec('COMMIT');
  }

  private read<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.serial(async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.db.all<T>(sql, params);
        } catch (e) {
          if (!(e instanceof ConnectionLostError) || attempt >= WRITE_ATTEMPTS) throw e;
        }
      }
    });
  }

  async beginScan(id: string, args: unknown, status: ScanState = 'running'): Promise<void> {
    await this.write(() =>
      this.db.run('INSERT INTO scans (id, started, status, args) VALUES (?, ?, ?, ?)', [
        id,
        new Date().toISOString(),
        status,
        JSON.stringify(args),
      ]),
    );
  }

  async scan(id: string): Promise<ScanRow | null> {
    return (await this.read<ScanRow>(`${SCAN_ROWS} WHERE s.id = ?`, [id]))[0] ?? null;
  }

  listScans(): Promise<ScanRow[]> {
    return this.read<ScanRow>(`${SCAN_ROWS} ORDER BY s.started, s.id`);
  }

  async latestScanId(): Promise<string | null> {
    return (
      (await this.read<{ id: string }>('SELECT id FROM scans ORDER BY started DESC, id DESC LIMIT 1'))[0]?.id ?? null
    );
  }

  async setStatus(id: string, status: ScanState): Promise<void> {
    await this.write(() => this.db.run('UPDATE scans SET status = ? WHERE id = ?', [status, id]));
  }

  async finishScan(id: string, status: 'interrupted' | 'done', targets: number, elapsedMs: number): Promise<void> {
    await this.write(() =>
      this.db.run('UPDATE scans SET status = ?, finished = ?, targets = ?, elapsed_ms = elapsed_ms + ? WHERE id = ?', [
        status,
        status === 'done' ? new Date().toISOString() : null,
        targets,
        elapsedMs,
        id,
      ]),
    );
  }

  async saveProgress(scanId: string, state: ResumeState): Promise<void> {
    await this.write(() => this.storeProgress(scanId, state));
  }

  private storeProgress(scanId: string, state: ResumeState): Promise<number> {
    return this.db.run(UPSERT_PROGRESS, [
      scanId,
      state.step.toString(),
      JSON.stringify(state.pending.map(String)),
      state.hostsDone,
    ]);
  }

  async progress(scanId: string): Promise<ResumeState> {
    const row = (
      await this.read<{ step: string; pending: string; hostsDone: number }>(
        'SELECT step, pending, hosts_done AS "hostsDone" FROM progress WHERE scan_id = ?',
        [scanId],
      )
    )[0];
    if (row === undefined) return { step: 0n, pending: [], hostsDone: 0 };
    return {
      step: BigInt(row.step),
      pending: (JSON.parse(row.pending) as string[]).map((x) => BigInt(x)),
      hostsDone: row.hostsDone,
    };
  }

  async recordHost(scanId: string, records: readonly ServiceRecord[], state: ResumeState | null): Promise<void> {
    await this.write(async () => {
      for (const r of records) await this.insertRecord(scanId, r);
      if (state !== null) await this.storeProgress(scanId, state);
    });
  }

  private async insertRecord(scanId: string, r: ServiceRecord): Promise<void> {
    const e = r.exposure;
    await this.db.run(UPSERT_SERVICE, [
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
    ]);
    // written again, a port's findings are the new ones only
    await this.db.run('DELETE FROM findings WHERE scan_id = ? AND host = ? AND port = ?', [scanId, r.host, r.port]);
    for (const f of r.findings)
      await this.db.run(
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
      const rows: Array<{ host: string; port: number; record: string }> = await this.read(
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

  async servicesPage(scanId: string, limit: number, offset: number): Promise<ServiceRecord[]> {
    const rows = await this.read<{ record: string }>(
      'SELECT record FROM services WHERE scan_id = ? ORDER BY host, port LIMIT ? OFFSET ?',
      [scanId, limit, offset],
    );
    return rows.map((r) => JSON.parse(r.record) as ServiceRecord);
  }

  async summary(scanId: string): Promise<SummaryRecord> {
    const r = await this.scan(scanId);
    return {
      type: 'summary',
      scanId,
      targets: r?.targets ?? 0,
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
      elapsedMs: r?.elapsedMs ?? 0,
    };
  }

  /** Store one streamed work item; null when the same host and ports came before (probed once). */
  private async addInput(scanId: string, host: string, ports: number[], open: boolean): Promise<bigint | null> {
    let next = this.nextInput.get(scanId);
    if (next === undefined)
      next =
        (
          await this.db.all<{ n: number }>('SELECT COALESCE(MAX(idx), -1) + 1 AS n FROM inputs WHERE scan_id = ?', [
            scanId,
          ])
        )[0]?.n ?? 0;
    const changed = await this.db.run(
      'INSERT INTO inputs (scan_id, idx, host, ports, open) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
      [scanId, next, host, JSON.stringify(ports), open ? 1 : 0],
    );
    if (changed !== 1) return null;
    this.nextInput.set(scanId, next + 1);
    return BigInt(next);
  }

  async journal(scanId: string): Promise<InputJournal> {
    let next =
      (
        await this.read<{ n: number }>('SELECT COALESCE(MAX(n), -1) + 1 AS n FROM input_lines WHERE scan_id = ?', [
          scanId,
        ])
      )[0]?.n ?? 0;
    return {
      addInput: (host, ports, open) => this.journalWrite(() => this.addInput(scanId, host, ports, open)),
      addLine: (text) =>
        this.journalWrite(async () => {
          const n = next++;
          await this.db.run('INSERT INTO input_lines (scan_id, n, text) VALUES (?, ?, ?)', [scanId, n, text]);
          return n;
        }),
      lineDone: async (n) => {
        await this.journalWrite(() =>
          this.db.run('UPDATE input_lines SET done = 1 WHERE scan_id = ? AND n = ?', [scanId, n]),
        );
      },
    };
  }

  async inputLines(scanId: string): Promise<StoredLine[]> {
    const rows = await this.read<{ n: number; text: string | null; done: number }>(
      'SELECT n, text, done FROM input_lines WHERE scan_id = ? ORDER BY n',
      [scanId],
    );
    return rows.map((r) => ({ n: r.n, text: r.text, done: r.done === 1 }));
  }

  async inputCount(scanId: string): Promise<number> {
    return (await this.read<{ n: number }>('SELECT COUNT(*) AS n FROM inputs WHERE scan_id = ?', [scanId]))[0]?.n ?? 0;
  }

  async *inputs(scanId: string, from: ResumeState): AsyncGenerator<WorkItem> {
    for (const idx of from.pending) {
      const row = (
        await this.read<InputRow>('SELECT idx, host, ports, open FROM inputs WHERE scan_id = ? AND idx = ?', [
          scanId,
          Number(idx),
        ])
      )[0];
      if (row !== undefined) yield inputItem(row);
    }
    for (let at = from.step; ; ) {
      const rows = await this.read<InputRow>(
        'SELECT idx, host, ports, open FROM inputs WHERE scan_id = ? AND idx >= ? ORDER BY idx LIMIT ?',
        [scanId, Number(at), PAGE],
      );
      for (const row of rows) yield { ...inputItem(row), next: BigInt(row.idx) + 1n };
      const last = rows.at(-1);
      if (last === undefined || rows.length < PAGE) return;
      at = BigInt(last.idx) + 1n;
    }
  }

  async close(): Promise<void> {
    await this.serial(() => this.commitJournal()).catch(() => undefined);
    this.closed = true;
    await this.db.close();
  }
}

function newerSchema(where: string, version: number): StoreError {
  return new StoreError(
    `the database ${where} has schema version ${version}, newer than this opendoor's (${SCHEMA_VERSION}): upgrade opendoor`,
  );
}

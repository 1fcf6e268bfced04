/**
 * The results database (SQLite through better-sqlite3, WAL): scans, the service records and
 * findings as they arrive, and which work items are done, so `scan --resume` continues exactly.
 * It holds the same records as the JSON Lines output: protocol facts, counts, attribute names —
 * never a patient value.
 */
import Database from 'better-sqlite3';
import os from 'node:os';
import path from 'node:path';
import type { InputJournal, ResumeState, WorkItem } from '../types/work.js';
import { type ServiceRecord, type SummaryRecord, counted } from '../output/records.js';
import { makeDirs } from '../util/fs.js';

export function defaultDbPath(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env['XDG_DATA_HOME'] !== undefined && env['XDG_DATA_HOME'] !== ''
      ? env['XDG_DATA_HOME']
      : path.join(env['HOME'] ?? os.homedir(), '.local', 'share');
  return path.join(base, 'opendoor', 'opendoor.db');
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS scans (
  id TEXT PRIMARY KEY, started TEXT NOT NULL, finished TEXT, status TEXT NOT NULL,
  args TEXT NOT NULL, targets INTEGER NOT NULL DEFAULT 0, elapsed_ms INTEGER NOT NULL DEFAULT 0);
-- where a scan stands, rewritten with every batch: a row of its own, apart from the scan's arguments
-- (which hold a whole target list when one was given)
CREATE TABLE IF NOT EXISTS progress (
  scan_id TEXT PRIMARY KEY, step TEXT NOT NULL DEFAULT '0', pending TEXT NOT NULL DEFAULT '[]',
  hosts_done INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS services (
  scan_id TEXT NOT NULL, host TEXT NOT NULL, port INTEGER NOT NULL, protocol TEXT NOT NULL,
  product TEXT, exposed INTEGER NOT NULL, patients INTEGER NOT NULL DEFAULT 0,
  studies INTEGER NOT NULL DEFAULT 0, instances INTEGER NOT NULL DEFAULT 0, record TEXT NOT NULL,
  PRIMARY KEY (scan_id, host, port));
CREATE TABLE IF NOT EXISTS findings (
  scan_id TEXT NOT NULL, host TEXT NOT NULL, port INTEGER NOT NULL, finding TEXT NOT NULL,
  severity TEXT NOT NULL, PRIMARY KEY (scan_id, host, port, finding));
CREATE TABLE IF NOT EXISTS inputs (
  scan_id TEXT NOT NULL, idx INTEGER NOT NULL, host TEXT NOT NULL, ports TEXT NOT NULL,
  open INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (scan_id, idx), UNIQUE (scan_id, host, ports));
CREATE TABLE IF NOT EXISTS input_lines (
  scan_id TEXT NOT NULL, n INTEGER NOT NULL, text TEXT, done INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (scan_id, n));
`;

/** Rows of a streamed scan's input read at once when it is resumed. */
const INPUT_PAGE = 512;
/** Journal writes of a streamed scan held in one transaction at most, and for at most this long (they commit with the next progress write before that). */
const JOURNAL_BATCH = 4096;
const JOURNAL_MS = 50;

/** Scans with their totals; per host the largest counts (a DICOM port and the REST API of one archive are the same patients). */
const HONEYPOT = `json_extract(record, '$.honeypot.suspect') = 1`;
const SCAN_ROWS = `SELECT s.id, s.started, s.finished, s.status, s.args, s.targets, COALESCE(g.hosts_done, 0) AS hostsDone, s.elapsed_ms AS elapsedMs,
       COALESCE(SUM(h.n),0) AS services, COALESCE(SUM(h.x),0) AS exposed, COALESCE(SUM(h.p),0) AS patients,
       COALESCE(SUM(h.st),0) AS studies, COALESCE(SUM(h.i),0) AS instances,
       COALESCE(SUM(h.hn),0) AS honeypotServices, COALESCE(SUM(h.hp),0) AS honeypotPatients, COALESCE(SUM(h.hs),0) AS honeypotStudies
  FROM scans s LEFT JOIN progress g ON g.scan_id = s.id LEFT JOIN (SELECT scan_id, COUNT(*) AS n, SUM(exposed) AS x, MAX(patients) AS p, MAX(studies) AS st, MAX(instances) AS i,
                          SUM(CASE WHEN ${HONEYPOT} THEN 1 ELSE 0 END) AS hn,
                          MAX(CASE WHEN ${HONEYPOT} THEN COALESCE(json_extract(record, '$.exposure.patients'), 0) ELSE 0 END) AS hp,
                          MAX(CASE WHEN ${HONEYPOT} THEN COALESCE(json_extract(record, '$.exposure.studies'), 0) ELSE 0 END) AS hs
                          FROM services GROUP BY scan_id, host) h ON h.scan_id = s.id`;

export interface ScanRow {
  id: string;
  started: string;
  finished: string | null;
  status: 'running' | 'interrupted' | 'done';
  args: string;
  targets: number;
  /** Hosts finished so far (all of them once the scan is done). */
  hostsDone: number;
  elapsedMs: number;
  services: number;
  exposed: number;
  patients: number;
  studies: number;
  instances: number;
  honeypotServices: number;
  honeypotPatients: number;
  honeypotStudies: number;
}

export class Store {
  private readonly db: Database.Database;
  private readonly insertService: Database.Statement;
  private readonly insertFinding: Database.Statement;
  private readonly saveState: Database.Statement;
  private readonly insertInput: Database.Statement;
  /** Next arrival index of each streamed scan written through this connection. */
  private readonly nextInput = new Map<string, number>();
  /** Journal writes in the open transaction (0: none open), and the timer that commits it. */
  private journalOps = 0;
  private journalTimer: NodeJS.Timeout | null = null;

  constructor(file: string) {
    makeDirs(path.dirname(file));
    this.db = new Database(file, { timeout: 5000 });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    this.upgrade();
    this.insertService = this.db.prepare(
      'INSERT OR REPLACE INTO services (scan_id, host, port, protocol, product, exposed, patients, studies, instances, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.insertFinding = this.db.prepare(
      'INSERT OR REPLACE INTO findings (scan_id, host, port, finding, severity) VALUES (?, ?, ?, ?, ?)',
    );
    this.saveState = this.db.prepare(
      'INSERT OR REPLACE INTO progress (step, pending, hosts_done, scan_id) VALUES (?, ?, ?, ?)',
    );
    this.insertInput = this.db.prepare(
      'INSERT OR IGNORE INTO inputs (scan_id, idx, host, ports, open) VALUES (?, ?, ?, ?, ?)',
    );
  }

  /**
   * Databases of earlier releases. The first: a column added since (its `done` table of one row per
   * host is left alone; an interrupted scan from then resumes from its start, records replaced
   * alike). The second kept the progress in the scans row: copied to its own table once.
   */
  private upgrade(): void {
    const has = (table: string, column: string) =>
      (this.db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).some((c) => c.name === column);
    if (!has('inputs', 'open')) this.db.exec('ALTER TABLE inputs ADD COLUMN open INTEGER NOT NULL DEFAULT 0');
    if (has('scans', 'resume_step')) {
      this.db.transaction(() => {
        this.db.exec(`INSERT OR IGNORE INTO progress (scan_id, step, pending, hosts_done) SELECT id, resume_step, resume_pending, hosts_done FROM scans;
          ALTER TABLE scans DROP COLUMN resume_step; ALTER TABLE scans DROP COLUMN resume_pending; ALTER TABLE scans DROP COLUMN hosts_done;`);
      })();
    }
  }

  /**
   * Every write but the journal's: one transaction, committed at once together with the journal
   * writes waiting before it. So a progress row never names an input that is not stored with it.
   */
  private write<T>(fn: () => T): T {
    const r = this.db.transaction(fn)();
    this.commitJournal();
    return r;
  }

  /**
   * A streamed scan's journal (a line, an item, a line done): three writes a line, so they share a
   * transaction, committed with the next progress write, after JOURNAL_BATCH of them or JOURNAL_MS
   * after the first (an input that goes quiet). A kill loses at most that much of the input, as it
   * loses what sits in the pipe.
   */
  private journalWrite<T>(fn: () => T): T {
    if (this.journalOps === 0) {
      this.db.exec('BEGIN');
      this.journalTimer = setTimeout(() => this.commitJournal(), JOURNAL_MS);
      this.journalTimer.unref();
    }
    this.journalOps++;
    const r = fn();
    if (this.journalOps >= JOURNAL_BATCH) this.commitJournal();
    return r;
  }

  private commitJournal(): void {
    if (this.journalOps === 0) return;
    this.journalOps = 0;
    if (this.journalTimer !== null) clearTimeout(this.journalTimer);
    this.journalTimer = null;
    this.db.exec('COMMIT');
  }

  beginScan(id: string, args: unknown): void {
    this.write(() =>
      this.db
        .prepare("INSERT INTO scans (id, started, status, args) VALUES (?, ?, 'running', ?)")
        .run(id, new Date().toISOString(), JSON.stringify(args)),
    );
  }

  scan(id: string): ScanRow | null {
    return (this.db.prepare(`${SCAN_ROWS} WHERE s.id = ? GROUP BY s.id`).get(id) as ScanRow | undefined) ?? null;
  }

  /** Where the scan stands (one row, however many hosts are done). */
  saveProgress(scanId: string, state: ResumeState): void {
    this.write(() => this.storeProgress(scanId, state));
  }

  private storeProgress(scanId: string, state: ResumeState): void {
    this.saveState.run(state.step.toString(), JSON.stringify(state.pending.map(String)), state.hostsDone, scanId);
  }

  progress(scanId: string): ResumeState {
    const row = this.db
      .prepare('SELECT step, pending, hosts_done AS hostsDone FROM progress WHERE scan_id = ?')
      .get(scanId) as { step: string; pending: string; hostsDone: number } | undefined;
    if (row === undefined) return { step: 0n, pending: [], hostsDone: 0 };
    return {
      step: BigInt(row.step),
      pending: (JSON.parse(row.pending) as string[]).map((x) => BigInt(x)),
      hostsDone: row.hostsDone,
    };
  }

  /** One host's records with the progress that counts it done, in one transaction: a kill never leaves half a host. */
  recordHost(
    scanId: string,
    records: readonly ServiceRecord[],
    exposed: (r: ServiceRecord) => boolean,
    state: ResumeState,
  ): void {
    this.write(() => {
      for (const r of records) this.insertRecord(scanId, r, exposed(r));
      this.storeProgress(scanId, state);
    });
  }

  private insertRecord(scanId: string, r: ServiceRecord, exposed: boolean): void {
    // a suspected honeypot's bait is in its record, never in a total
    const e = counted(r) ? r.exposure : null;
    this.insertService.run(
      scanId,
      r.host,
      r.port,
      r.protocol,
      r.product,
      exposed ? 1 : 0,
      e?.patients ?? 0,
      e?.studies ?? 0,
      e?.instances ?? 0,
      JSON.stringify(r),
    );
    for (const f of r.findings) this.insertFinding.run(scanId, r.host, r.port, f.id, f.severity);
  }

  /** Copy records into a scan (merge of shard databases). */
  addServices(scanId: string, records: Iterable<ServiceRecord>, exposed: (r: ServiceRecord) => boolean): number {
    let n = 0;
    this.write(() => {
      for (const r of records) {
        this.insertRecord(scanId, r, exposed(r));
        n++;
      }
    });
    return n;
  }

  /** Store one streamed work item; null when the same host and ports came before (probed once). */
  private addInput(scanId: string, host: string, ports: number[], open: boolean): bigint | null {
    let next = this.nextInput.get(scanId);
    if (next === undefined)
      next = (
        this.db.prepare('SELECT COALESCE(MAX(idx), -1) + 1 AS n FROM inputs WHERE scan_id = ?').get(scanId) as {
          n: number;
        }
      ).n;
    const r = this.insertInput.run(scanId, next, host, JSON.stringify(ports), open ? 1 : 0);
    if (r.changes !== 1) return null;
    this.nextInput.set(scanId, next + 1);
    return BigInt(next);
  }

  /** The journal of a streamed scan's input (lines as read, items as expanded). */
  journal(scanId: string): InputJournal {
    let next = (
      this.db.prepare('SELECT COALESCE(MAX(n), -1) + 1 AS n FROM input_lines WHERE scan_id = ?').get(scanId) as {
        n: number;
      }
    ).n;
    const add = this.db.prepare('INSERT INTO input_lines (scan_id, n, text) VALUES (?, ?, ?)');
    const done = this.db.prepare('UPDATE input_lines SET done = 1 WHERE scan_id = ? AND n = ?');
    return {
      addInput: (host, ports, open) => this.journalWrite(() => this.addInput(scanId, host, ports, open)),
      addLine: (text) =>
        this.journalWrite(() => {
          add.run(scanId, next, text);
          return next++;
        }),
      lineDone: (n) => void this.journalWrite(() => done.run(scanId, n)),
    };
  }

  inputLines(scanId: string): Array<{ n: number; text: string | null; done: boolean }> {
    return (
      this.db.prepare('SELECT n, text, done FROM input_lines WHERE scan_id = ? ORDER BY n').all(scanId) as Array<{
        n: number;
        text: string | null;
        done: number;
      }>
    ).map((r) => ({ ...r, done: r.done === 1 }));
  }

  inputCount(scanId: string): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM inputs WHERE scan_id = ?').get(scanId) as { n: number }).n;
  }

  /** Streamed work items stored so far (for --resume of a `-iL -` scan): the pending ones, then arrival order from `from.step`. */
  *inputs(scanId: string, from: ResumeState): Generator<WorkItem> {
    type Row = { idx: number; host: string; ports: string; open: number };
    const item = (row: Row): WorkItem => ({
      idx: BigInt(row.idx),
      host: row.host,
      ports: JSON.parse(row.ports) as number[],
      open: row.open === 1,
    });
    const one = this.db.prepare('SELECT idx, host, ports, open FROM inputs WHERE scan_id = ? AND idx = ?');
    for (const idx of from.pending) {
      const row = one.get(scanId, idx) as Row | undefined;
      if (row !== undefined) yield item(row);
    }
    // read a page at a time, never through a statement held open across a yield: the scan writes to
    // this connection between items, and SQLite refuses that while a query is being stepped
    const page = this.db.prepare(
      'SELECT idx, host, ports, open FROM inputs WHERE scan_id = ? AND idx >= ? ORDER BY idx LIMIT ?',
    );
    for (let at = from.step; ; ) {
      const rows = page.all(scanId, at, INPUT_PAGE) as Row[];
      for (const row of rows) yield { ...item(row), next: BigInt(row.idx) + 1n };
      if (rows.length < INPUT_PAGE) return;
      at = BigInt((rows.at(-1) as Row).idx) + 1n;
    }
  }

  finishScan(id: string, status: 'interrupted' | 'done', targets: number, elapsedMs: number): void {
    this.write(() =>
      this.db
        .prepare('UPDATE scans SET status = ?, finished = ?, targets = ?, elapsed_ms = elapsed_ms + ? WHERE id = ?')
        .run(status, status === 'done' ? new Date().toISOString() : null, targets, elapsedMs, id),
    );
  }

  markRunning(id: string): void {
    this.write(() => this.db.prepare("UPDATE scans SET status = 'running' WHERE id = ?").run(id));
  }

  /** Service records of a scan, streamed in host/port order. */
  *services(scanId: string): Generator<ServiceRecord> {
    for (const row of this.db
      .prepare('SELECT record FROM services WHERE scan_id = ? ORDER BY host, port')
      .iterate(scanId) as Iterable<{ record: string }>) {
      yield JSON.parse(row.record) as ServiceRecord;
    }
  }

  summary(scanId: string): SummaryRecord {
    const r = this.scan(scanId);
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

  listScans(): ScanRow[] {
    return this.db.prepare(`${SCAN_ROWS} GROUP BY s.id ORDER BY s.started`).all() as ScanRow[];
  }

  latestScanId(): string | null {
    const row = this.db.prepare('SELECT id FROM scans ORDER BY started DESC LIMIT 1').get() as
      | { id: string }
      | undefined;
    return row?.id ?? null;
  }

  close(): void {
    this.commitJournal();
    this.db.close();
  }
}

/**
 * The results database (SQLite through better-sqlite3, WAL): scans, the service records and
 * findings as they arrive, and which work items are done, so `scan --resume` continues exactly.
 * It holds the same records as the JSON Lines output: protocol facts, counts, attribute names —
 * never a patient value.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ServiceRecord, SummaryRecord } from '../output/records.js';

export function defaultDbPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env['XDG_DATA_HOME'] !== undefined && env['XDG_DATA_HOME'] !== '' ? env['XDG_DATA_HOME'] : path.join(env['HOME'] ?? os.homedir(), '.local', 'share');
  return path.join(base, 'opendoor', 'opendoor.db');
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS scans (
  id TEXT PRIMARY KEY, started TEXT NOT NULL, finished TEXT, status TEXT NOT NULL,
  args TEXT NOT NULL, targets INTEGER NOT NULL DEFAULT 0, elapsed_ms INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS services (
  scan_id TEXT NOT NULL, host TEXT NOT NULL, port INTEGER NOT NULL, protocol TEXT NOT NULL,
  product TEXT, exposed INTEGER NOT NULL, patients INTEGER NOT NULL DEFAULT 0,
  studies INTEGER NOT NULL DEFAULT 0, instances INTEGER NOT NULL DEFAULT 0, record TEXT NOT NULL,
  PRIMARY KEY (scan_id, host, port));
CREATE TABLE IF NOT EXISTS findings (
  scan_id TEXT NOT NULL, host TEXT NOT NULL, port INTEGER NOT NULL, finding TEXT NOT NULL,
  severity TEXT NOT NULL, PRIMARY KEY (scan_id, host, port, finding));
CREATE TABLE IF NOT EXISTS done (scan_id TEXT NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY (scan_id, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS inputs (
  scan_id TEXT NOT NULL, idx INTEGER NOT NULL, host TEXT NOT NULL, ports TEXT NOT NULL,
  open INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (scan_id, idx), UNIQUE (scan_id, host, ports));
`;

/** Scans with their totals; per host the largest counts (a DICOM port and the REST API of one archive are the same patients). */
const SCAN_ROWS = `SELECT s.id, s.started, s.finished, s.status, s.args, s.targets, s.elapsed_ms AS elapsedMs,
       COALESCE(SUM(h.n),0) AS services, COALESCE(SUM(h.x),0) AS exposed, COALESCE(SUM(h.p),0) AS patients,
       COALESCE(SUM(h.st),0) AS studies, COALESCE(SUM(h.i),0) AS instances
  FROM scans s LEFT JOIN (SELECT scan_id, COUNT(*) AS n, SUM(exposed) AS x, MAX(patients) AS p, MAX(studies) AS st, MAX(instances) AS i
                          FROM services GROUP BY scan_id, host) h ON h.scan_id = s.id`;

export interface ScanRow {
  id: string;
  started: string;
  finished: string | null;
  status: 'running' | 'interrupted' | 'done';
  args: string;
  targets: number;
  elapsedMs: number;
  services: number;
  exposed: number;
  patients: number;
  studies: number;
  instances: number;
}

export class Store {
  private readonly db: Database.Database;
  private readonly insertService: Database.Statement;
  private readonly insertFinding: Database.Statement;
  private readonly insertDone: Database.Statement;
  private readonly isDone: Database.Statement;
  private readonly insertInput: Database.Statement;
  /** Next arrival index of each streamed scan written through this connection. */
  private readonly nextInput = new Map<string, number>();

  constructor(file: string) {
    mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file, { timeout: 5000 });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    // databases from before the `open` column (first release)
    if (!(this.db.prepare('PRAGMA table_info(inputs)').all() as Array<{ name: string }>).some((c) => c.name === 'open')) this.db.exec('ALTER TABLE inputs ADD COLUMN open INTEGER NOT NULL DEFAULT 0');
    this.insertService = this.db.prepare(
      'INSERT OR REPLACE INTO services (scan_id, host, port, protocol, product, exposed, patients, studies, instances, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.insertFinding = this.db.prepare('INSERT OR REPLACE INTO findings (scan_id, host, port, finding, severity) VALUES (?, ?, ?, ?, ?)');
    this.insertDone = this.db.prepare('INSERT OR IGNORE INTO done (scan_id, idx) VALUES (?, ?)');
    this.isDone = this.db.prepare('SELECT 1 FROM done WHERE scan_id = ? AND idx = ?');
    this.insertInput = this.db.prepare('INSERT OR IGNORE INTO inputs (scan_id, idx, host, ports, open) VALUES (?, ?, ?, ?, ?)');
  }

  beginScan(id: string, args: unknown): void {
    this.db.prepare("INSERT INTO scans (id, started, status, args) VALUES (?, ?, 'running', ?)").run(id, new Date().toISOString(), JSON.stringify(args));
  }

  scan(id: string): ScanRow | null {
    return (this.db.prepare(`${SCAN_ROWS} WHERE s.id = ? GROUP BY s.id`).get(id) as ScanRow | undefined) ?? null;
  }

  /** Hosts without an open port, a sweep batch at a time. */
  markDone(scanId: string, idxs: readonly bigint[]): void {
    if (idxs.length === 0) return;
    this.db.transaction(() => {
      for (const idx of idxs) this.insertDone.run(scanId, idx);
    })();
  }

  /** One host's records and its "done" mark in one transaction: a kill never leaves half a host. */
  recordHost(scanId: string, idx: bigint, records: readonly ServiceRecord[], exposed: (r: ServiceRecord) => boolean): void {
    this.db.transaction(() => {
      for (const r of records) this.insertRecord(scanId, r, exposed(r));
      this.insertDone.run(scanId, idx);
    })();
  }

  private insertRecord(scanId: string, r: ServiceRecord, exposed: boolean): void {
    const e = r.exposure;
    this.insertService.run(scanId, r.host, r.port, r.protocol, r.product, exposed ? 1 : 0, e?.patients ?? 0, e?.studies ?? 0, e?.instances ?? 0, JSON.stringify(r));
    for (const f of r.findings) this.insertFinding.run(scanId, r.host, r.port, f.id, f.severity);
  }

  /** Copy records into a scan (merge of shard databases). */
  addServices(scanId: string, records: Iterable<ServiceRecord>, exposed: (r: ServiceRecord) => boolean): number {
    let n = 0;
    this.db.transaction(() => {
      for (const r of records) {
        this.insertRecord(scanId, r, exposed(r));
        n++;
      }
    })();
    return n;
  }

  /** Store one streamed work item; null when the same host and ports came before (probed once). */
  addInput(scanId: string, host: string, ports: number[], open: boolean): bigint | null {
    let next = this.nextInput.get(scanId);
    if (next === undefined) next = (this.db.prepare('SELECT COALESCE(MAX(idx), -1) + 1 AS n FROM inputs WHERE scan_id = ?').get(scanId) as { n: number }).n;
    const r = this.insertInput.run(scanId, next, host, JSON.stringify(ports), open ? 1 : 0);
    if (r.changes !== 1) return null;
    this.nextInput.set(scanId, next + 1);
    return BigInt(next);
  }

  /** Streamed work items stored so far, in arrival order (for --resume of a `-iL -` scan). */
  *inputs(scanId: string): Generator<{ idx: bigint; host: string; ports: number[]; open: boolean }> {
    for (const row of this.db.prepare('SELECT idx, host, ports, open FROM inputs WHERE scan_id = ? ORDER BY idx').iterate(scanId) as Iterable<{ idx: number; host: string; ports: string; open: number }>) {
      yield { idx: BigInt(row.idx), host: row.host, ports: JSON.parse(row.ports) as number[], open: row.open === 1 };
    }
  }

  done(scanId: string, idx: bigint): boolean {
    return this.isDone.get(scanId, idx) !== undefined;
  }

  finishScan(id: string, status: 'interrupted' | 'done', targets: number, elapsedMs: number): void {
    this.db
      .prepare('UPDATE scans SET status = ?, finished = ?, targets = ?, elapsed_ms = elapsed_ms + ? WHERE id = ?')
      .run(status, status === 'done' ? new Date().toISOString() : null, targets, elapsedMs, id);
  }

  markRunning(id: string): void {
    this.db.prepare("UPDATE scans SET status = 'running' WHERE id = ?").run(id);
  }

  /** Service records of a scan, streamed in host/port order. */
  *services(scanId: string): Generator<ServiceRecord> {
    for (const row of this.db.prepare('SELECT record FROM services WHERE scan_id = ? ORDER BY host, port').iterate(scanId) as Iterable<{ record: string }>) {
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
      elapsedMs: r?.elapsedMs ?? 0,
    };
  }

  listScans(): ScanRow[] {
    return this.db.prepare(`${SCAN_ROWS} GROUP BY s.id ORDER BY s.started`).all() as ScanRow[];
  }

  latestScanId(): string | null {
    const row = this.db.prepare('SELECT id FROM scans ORDER BY started DESC LIMIT 1').get() as { id: string } | undefined;
    return row?.id ?? null;
  }

  close(): void {
    this.db.close();
  }
}

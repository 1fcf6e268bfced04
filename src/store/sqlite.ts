/**
 * The embedded backend: one SQLite file through better-sqlite3 (WAL, so readers never wait for the
 * scan that writes), prepared statements cached by their text.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { makeDirs } from '../util/fs.js';
import type { SqlDriver, SqlReader, SqlValue } from './driver.js';
import { SqlStore } from './sql.js';
import { DatabaseFileError, type OpenOptions, type Store, StoreError } from './store.js';

/** Prepared statements cached by their text, on one connection. */
class Statements {
  private readonly cache = new Map<string, Database.Statement>();

  constructor(readonly db: Database.Database) {}

  prepare(sql: string): Database.Statement {
    let s = this.cache.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }
}

/** A second, read-only connection to the file: WAL lets it read the last commit while the writer's transaction is open. */
class SqliteReader implements SqlReader {
  private readonly statements: Statements;

  constructor(file: string) {
    this.statements = new Statements(new Database(file, { readonly: true, timeout: 5000 }));
  }

  async all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.statements.prepare(sql).all(...params) as T[];
  }

  async close(): Promise<void> {
    this.statements.db.close();
  }
}

class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  /** BEGIN IMMEDIATE takes the write lock at once: a second opener waits (busy timeout) instead of failing later. */
  readonly migrationLock = '';
  private readonly statements: Statements;
  reader: SqliteReader | null = null;

  constructor(private readonly db: Database.Database) {
    this.statements = new Statements(db);
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.statements.prepare(sql).run(...params).changes;
  }

  async all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.statements.prepare(sql).all(...params) as T[];
  }

  async exec(sql: string): Promise<void> {
    this.db.exec(sql === 'BEGIN' ? 'BEGIN IMMEDIATE' : sql);
  }

  /**
   * Databases of releases before schema versions: brought to version 1. The first lacked a column
   * added since (an interrupted scan from then resumes from its start, records replaced alike); the
   * second kept the progress in the scans row: copied to its own table once.
   */
  async legacyVersion(): Promise<number | null> {
    const has = (table: string, column: string) =>
      (this.db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).some((c) => c.name === column);
    if (!has('scans', 'id')) return null;
    if (has('inputs', 'idx') && !has('inputs', 'open'))
      this.db.exec('ALTER TABLE inputs ADD COLUMN open INTEGER NOT NULL DEFAULT 0');
    if (has('scans', 'resume_step')) {
      this.db.exec(`CREATE TABLE IF NOT EXISTS progress (
  scan_id TEXT PRIMARY KEY, step TEXT NOT NULL DEFAULT '0', pending TEXT NOT NULL DEFAULT '[]', hosts_done INTEGER NOT NULL DEFAULT 0);
INSERT OR IGNORE INTO progress (scan_id, step, pending, hosts_done) SELECT id, resume_step, resume_pending, hosts_done FROM scans;
ALTER TABLE scans DROP COLUMN resume_step; ALTER TABLE scans DROP COLUMN resume_pending; ALTER TABLE scans DROP COLUMN hosts_done;`);
    }
    return 1;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

/**
 * better-sqlite3's native driver would not load: built for another Node (a checkout installed under
 * Node 20, run with Node 24) or damaged. Not the user's input (exit 1): one line saying so and the
 * command that rebuilds it where it is installed.
 */
export function driverLoadError(e: Error): StoreError {
  const abi = /NODE_MODULE_VERSION (\d+)\.\s+This version of Node\.js requires\s+NODE_MODULE_VERSION (\d+)/.exec(
    e.message,
  );
  let where = '';
  try {
    const pkg = createRequire(import.meta.url).resolve('better-sqlite3/package.json');
    where = ` in ${path.resolve(path.dirname(pkg), '../..')}`;
  } catch {
    // not resolvable: the command alone
  }
  const built =
    abi !== null
      ? `built for another Node (module version ${abi[1]}; Node ${process.versions.node} needs ${abi[2]})`
      : `not loadable by Node ${process.versions.node}`;
  // against this Node's own headers: an npm configured with another nodedir (/usr) would build for that one
  const prefix = path.resolve(process.execPath, '../..');
  const nodedir = existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? ` --nodedir=${prefix}` : '';
  return new StoreError(
    `the SQLite driver (better-sqlite3) was ${built}: rebuild it with \`npm rebuild better-sqlite3${nodedir}\`${where}`,
  );
}

export async function openSqlite(file: string, o: OpenOptions): Promise<Store> {
  if (o.readOnly === true && !existsSync(file)) throw new DatabaseFileError(`no database at ${file}`);
  let db: Database.Database;
  try {
    makeDirs(path.dirname(file));
    db = new Database(file, { timeout: 5000 });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_DLOPEN_FAILED') throw driverLoadError(e as Error);
    // a path the user gave that is no database (or where none can be made): their input, exit 2
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new DatabaseFileError(`cannot open database ${file}: ${why}`);
  }
  const driver = new SqliteDriver(db);
  const store = await SqlStore.open(driver, file);
  // after the migration (the file exists, in WAL mode): the reader sees the schema this release reads
  if ((o.readers ?? 0) > 0) driver.reader = new SqliteReader(file);
  return store;
}

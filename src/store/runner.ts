/**
 * How the SQL store talks to its database: every operation in turn on one connection (so a
 * transaction never interleaves with another write), reads on the driver's readers instead when it
 * has some (serve's store); each write in a transaction of its own, run again whole after a lost
 * connection; the input journal's writes batched; the schema migrated on opening. Shared by the
 * store's parts (sql.ts, journal.ts, jobs.ts).
 */
import { ConnectionLostError, type SqlDriver, type SqlValue } from './driver.js';
import { COUNTRY_TALLIES_VERSION, SCHEMA_VERSION, TALLIES_VERSION, VERSION_TABLE, migrationsAfter } from './schema.js';
import { countryTallies, fillTallies } from './tallies.js';
import { StoreError } from './store.js';

/** Rows read at once when records or a streamed scan's input are read back. */
export const PAGE = 512;
/** Journal writes of a streamed scan held in one transaction at most, and for at most this long (they commit with the next other write before that). */
const JOURNAL_BATCH = 4096;
const JOURNAL_MS = 50;
/** An operation cut off by lost connections is tried this many times in all. */
const ATTEMPTS = 3;

export class SqlRunner {
  /** The end of the line of operations: each runs when the one before has settled. */
  private tail: Promise<unknown> = Promise.resolve();
  /** Journal writes in the open transaction (0: none open), and the timer that commits it. */
  private journalOps = 0;
  private journalTimer: NodeJS.Timeout | null = null;
  /** Journal writes issued, not begun yet (reads wait in the line behind them). */
  private journalWaiting = 0;
  private closed = false;

  private constructor(
    readonly db: SqlDriver,
    readonly where: string,
  ) {}

  /** A runner on an open driver, its schema brought to this release's version. */
  static async open(db: SqlDriver, where: string): Promise<SqlRunner> {
    const s = new SqlRunner(db, where);
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
    // the usual case, read without a lock (no table yet: a new database)
    let version = await at().catch(() => null);
    if (version === SCHEMA_VERSION) return;
    if (version !== null && version > SCHEMA_VERSION) throw newerSchema(this.where, version);
    await this.db.exec('BEGIN');
    try {
      // under the lock from the first statement: openers at once of a new PostgreSQL database
      // (workers starting together) would otherwise race on CREATE TABLE IF NOT EXISTS (23505)
      if (this.db.migrationLock !== '') await this.db.exec(this.db.migrationLock);
      await this.db.exec(VERSION_TABLE);
      version = (await at()) ?? (await this.db.legacyVersion()) ?? 0; // again: another opener may have migrated meanwhile
      if (version > SCHEMA_VERSION) throw newerSchema(this.where, version);
      for (const step of migrationsAfter(version, this.db.dialect)) await this.db.exec(step);
      if (version < TALLIES_VERSION) await fillTallies(this.db);
      if (version < COUNTRY_TALLIES_VERSION) await countryTallies(this.db);
      await this.db.run('DELETE FROM opendoor_schema');
      await this.db.run('INSERT INTO opendoor_schema (version) VALUES (?)', [SCHEMA_VERSION]);
      await this.db.exec('COMMIT');
    } catch (e) {
      await this.db.exec('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  /** Runs `fn` when every operation before it has settled. */
  serial<T>(fn: () => Promise<T>): Promise<T> {
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
  write<T>(fn: () => Promise<T>): Promise<T> {
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
          if (!(e instanceof ConnectionLostError) || attempt >= ATTEMPTS) throw e;
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
  journalWrite<T>(fn: () => Promise<T>): Promise<T> {
    this.journalWaiting++;
    return this.serial(async () => {
      this.journalWaiting--;
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

  /**
   * A read: on the driver's reader when it has one (it sees what is committed, without waiting
   * behind the writer's transactions), except while journal writes are open or waiting (a streamed
   * scan reads back its own input, not committed yet); else in turn with the other operations.
   * Cut off by a lost connection, it runs again.
   */
  read<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    const reader = this.db.reader;
    const attempt = (all: () => Promise<T[]>) => async (): Promise<T[]> => {
      for (let n = 1; ; n++) {
        try {
          return await all();
        } catch (e) {
          if (!(e instanceof ConnectionLostError) || n >= ATTEMPTS) throw e;
        }
      }
    };
    if (reader !== null && this.journalWaiting === 0 && this.journalOps === 0) {
      if (this.closed) return Promise.reject(new StoreError(`the store ${this.where} is closed`));
      return attempt(() => reader.all<T>(sql, params))();
    }
    return this.serial(attempt(() => this.db.all<T>(sql, params)));
  }

  async close(): Promise<void> {
    await this.serial(() => this.commitJournal()).catch(() => undefined);
    this.closed = true;
    await this.db.reader?.close();
    await this.db.close();
  }
}

function newerSchema(where: string, version: number): StoreError {
  return new StoreError(
    `the database ${where} has schema version ${version}, newer than this opendoor's (${SCHEMA_VERSION}): upgrade opendoor`,
  );
}

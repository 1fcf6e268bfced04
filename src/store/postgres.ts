/**
 * The shared backend: PostgreSQL through `pg`, one connection per store (its operations run in
 * turn, see sql.ts). Integers come back as numbers. A server that cannot be reached is one clear
 * StoreError; a connection lost between operations is made again with backoff, and a write that
 * was cut off is run again whole (every write is keyed, so twice is the same as once).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { ConnectionLostError, type SqlDriver, type SqlReader, type SqlValue } from './driver.js';
import { SqlStore } from './sql.js';
import { type OpenOptions, type QueueStore, StoreError } from './store.js';
import { redactUrl } from './url.js';

const CONNECT_TIMEOUT_MS = 10_000;
/** A statement that runs longer is cancelled by the client (no read of ours comes near it). */
const QUERY_TIMEOUT_MS = 120_000;
/** Pauses before connecting again after a connection was lost; then the operation fails. */
const RECONNECT_MS: readonly number[] = [250, 500, 1000, 2000, 4000, 8000, 15_000, 30_000];

const INT8 = 20;
const NUMERIC = 1700;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 || oid === NUMERIC ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** `?` placeholders numbered as PostgreSQL wants them ($1, $2, …); opendoor's SQL has no `?` inside literals. */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** Node's errors for a connection that could not be made or broke (not PostgreSQL's own answers). */
const isConnectionError = (e: unknown): boolean =>
  e instanceof Error &&
  (/^(ECONN|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|ENOTFOUND)/.test(
    (e as NodeJS.ErrnoException).code ?? '',
  ) ||
    /Connection terminated|connection timeout|Client has encountered a connection error|not queryable/i.test(
      e.message,
    ) ||
    (e as { code?: string }).code === '57P01'); // admin_shutdown: the server is stopping

function describe(e: unknown): string {
  if (!(e instanceof Error)) return 'error';
  const code = (e as NodeJS.ErrnoException).code;
  return code !== undefined && /^E[A-Z]+$/.test(code) ? code : (e.message.split('\n')[0]?.slice(0, 200) ?? 'error');
}

/** Up to `size` read-only connections beside the writer's, opened when reads need them, closed when idle a while. */
class PostgresReader implements SqlReader {
  private readonly pool: pg.Pool;

  constructor(
    private readonly url: string,
    size: number,
  ) {
    this.pool = new pg.Pool({
      connectionString: url,
      max: size,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      query_timeout: QUERY_TIMEOUT_MS,
      application_name: 'opendoor reader',
      options: '-c default_transaction_read_only=on -c client_min_messages=warning',
      types,
    });
    // an idle connection that breaks is dropped by the pool; unhandled, its 'error' would end the process
    this.pool.on('error', () => undefined);
  }

  async all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    try {
      return (await this.pool.query(numbered(sql), params as SqlValue[])).rows as T[];
    } catch (e) {
      if (!isConnectionError(e)) throw e;
      throw new ConnectionLostError(`lost a reading connection to ${redactUrl(this.url)}: ${describe(e)}`);
    }
  }

  close(): Promise<void> {
    return this.pool.end().catch(() => undefined);
  }
}

class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  readonly migrationLock = 'SELECT pg_advisory_xact_lock(7346001)';
  private client: pg.Client | null = null;
  private inTransaction = false;
  /** Readers' connections refuse writes (set once the schema is current). */
  readOnly = false;
  reader: PostgresReader | null = null;

  constructor(private readonly url: string) {}

  async connect(): Promise<pg.Client> {
    const c = new pg.Client({
      connectionString: this.url,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      query_timeout: QUERY_TIMEOUT_MS,
      application_name: 'opendoor',
      types,
    });
    // a connection that breaks later: the next operation connects again (an unhandled 'error' would end the process)
    c.on('error', () => {
      if (this.client === c) this.client = null;
      c.end().catch(() => undefined);
    });
    try {
      await c.connect();
      await c.query("SET client_min_messages = 'warning'");
      if (this.readOnly) await c.query('SET default_transaction_read_only = on');
    } catch (e) {
      await c.end().catch(() => undefined);
      throw new StoreError(`cannot use PostgreSQL at ${redactUrl(this.url)}: ${describe(e)}`);
    }
    this.client = c;
    return c;
  }

  /** The connection, made again with backoff if it was lost (never inside a transaction: that fails the write, which is run again). */
  private async conn(): Promise<pg.Client> {
    if (this.client !== null) return this.client;
    if (this.inTransaction)
      throw new ConnectionLostError(`lost the connection to ${redactUrl(this.url)} inside a transaction`);
    for (const wait of [0, ...RECONNECT_MS]) {
      await sleep(wait);
      try {
        return await this.connect();
      } catch (e) {
        if (wait === RECONNECT_MS.at(-1)) throw e;
      }
    }
    throw new StoreError(`cannot reach ${redactUrl(this.url)}`);
  }

  private async query(sql: string, params: readonly SqlValue[]): Promise<pg.QueryResult> {
    const c = await this.conn();
    try {
      return await c.query(numbered(sql), params as SqlValue[]);
    } catch (e) {
      if (!isConnectionError(e)) throw e;
      if (this.client === c) this.client = null;
      c.end().catch(() => undefined);
      throw new ConnectionLostError(`lost the connection to ${redactUrl(this.url)}: ${describe(e)}`);
    }
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return (await this.query(sql, params)).rowCount ?? 0;
  }

  async all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return (await this.query(sql, params)).rows as T[];
  }

  async exec(sql: string): Promise<void> {
    if (sql === 'BEGIN') {
      await this.query('BEGIN', []);
      this.inTransaction = true;
      return;
    }
    const ends = sql === 'COMMIT' || sql === 'ROLLBACK';
    try {
      await this.query(sql, []);
    } finally {
      if (ends) this.inTransaction = false;
    }
  }

  async legacyVersion(): Promise<number | null> {
    return null; // PostgreSQL stores began with schema versions
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => undefined);
  }
}

export async function openPostgres(url: string, o: OpenOptions): Promise<QueueStore> {
  const d = new PostgresDriver(url);
  await d.connect();
  const store = await SqlStore.open(d, redactUrl(url), { url });
  if (o.readOnly === true) {
    d.readOnly = true;
    await d.exec('SET default_transaction_read_only = on');
  }
  // after the migration: the readers see the schema this release reads
  if ((o.readers ?? 0) > 0) d.reader = new PostgresReader(url, o.readers ?? 0);
  return store;
}

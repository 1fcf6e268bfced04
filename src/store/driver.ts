/**
 * What the SQL store needs of a database: statements with `?` placeholders (the PostgreSQL driver
 * numbers them), rows back as plain objects with numbers for integers, and a script runner. One
 * file per backend implements it; the store's SQL and its order of operations are shared.
 */
import type { Dialect } from './schema.js';
import { StoreError } from './store.js';

/** The connection broke under an operation: the store runs a write again once it is back. */
export class ConnectionLostError extends StoreError {}

export type SqlValue = string | number | null;

/** Reads beside the writer's connection: what is committed, without waiting for it. */
export interface SqlReader {
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  close(): Promise<void>;
}

export interface SqlDriver {
  readonly dialect: Dialect;
  /** A statement; answers how many rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Statements without parameters, separated by semicolons (schema steps, BEGIN, COMMIT). */
  exec(sql: string): Promise<void>;
  /** Run after BEGIN of a migration: other openers of the same database wait until it commits. */
  readonly migrationLock: string;
  /**
   * Connections of their own for reads (OpenOptions.readers), or null: a read there sees every
   * committed write and never waits in the line behind the writer's transactions.
   */
  readonly reader: SqlReader | null;
  /** The schema version when the database predates versioning (tables there, no version table), after bringing such a database up to version 1. */
  legacyVersion(): Promise<number | null>;
  close(): Promise<void>;
}

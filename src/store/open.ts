/**
 * Opening the store `--db` / `OPENDOOR_DB` names: a PostgreSQL URL, or a SQLite file (the default
 * in the user's data directory). The backend's driver loads here, not at start. What the opened
 * store can do beyond the contract (hold the work queue) is a property of it (`store.queue`).
 */
import os from 'node:os';
import path from 'node:path';
import { NoQueueError, type OpenOptions, type QueueStore, type Store } from './store.js';
import { isPostgresUrl } from './url.js';

export function defaultDbPath(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env['XDG_DATA_HOME'] !== undefined && env['XDG_DATA_HOME'] !== ''
      ? env['XDG_DATA_HOME']
      : path.join(env['HOME'] ?? os.homedir(), '.local', 'share');
  return path.join(base, 'opendoor', 'opendoor.db');
}

export async function openStore(target: string | undefined, o: OpenOptions & { queueFor: string }): Promise<QueueStore>;
export async function openStore(target: string | undefined, o?: OpenOptions): Promise<Store>;
export async function openStore(target: string | undefined, o: OpenOptions = {}): Promise<Store> {
  const t = target ?? defaultDbPath();
  if (isPostgresUrl(t)) {
    const { openPostgres } = await import('./postgres.js');
    return openPostgres(t, o);
  }
  // only PostgreSQL holds a queue: refused before a file is made
  if (o.queueFor !== undefined)
    throw new NoQueueError(`${o.queueFor} needs the shared database: --db postgres://… (or OPENDOOR_DB)`);
  const { openSqlite } = await import('./sqlite.js');
  return openSqlite(t, o);
}

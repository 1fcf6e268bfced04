/**
 * The work queue: pg-boss in the same PostgreSQL database as the store (its own schema, `pgboss`).
 * A job is one slice of a queued scan; pg-boss hands each to one worker at a time (SKIP LOCKED)
 * and retries a failed one. Whether a worker still lives is the store's heartbeat (jobs.ts): a
 * slice whose worker went silent is failed here by another worker, so the queue hands it out
 * again. pg-boss's own expiry stays a far backstop (a slice may count archives for many minutes).
 */
import PgBoss from 'pg-boss';
import { StoreError } from '../store/store.js';
import { redactUrl } from '../store/url.js';
import type { Logger } from '../util/log.js';

export const QUEUE = 'opendoor-slices';
/** Retries of a slice (each death of its worker is one). */
const RETRY_LIMIT = 1000;
/** pg-boss's own expiry of a held job, far above any slice's time (the heartbeat decides sooner). */
const EXPIRE_S = 6 * 3600;

export interface SliceJob {
  id: string;
  scanId: string;
  slice: number;
}

export interface WorkQueue {
  /** Queue slices 0…count-1 of a scan. */
  send(scanId: string, count: number): Promise<void>;
  /** Up to `max` slices for this worker, in queue order (none when none waits). */
  take(max: number): Promise<SliceJob[]>;
  /** The next slice for this worker, or null when none waits (take(1)). */
  fetch(): Promise<SliceJob | null>;
  complete(ids: string | string[]): Promise<void>;
  /** Back to the queue, to be handed out again. */
  retry(ids: string | string[]): Promise<void>;
  /**
   * Jobs handed out more than `olderThanMs` ago and still not completed nor failed (the database's
   * clock): a worker that died between taking one and holding its slice leaves such a job behind.
   */
  stranded(olderThanMs: number): Promise<SliceJob[]>;
  stop(): Promise<void>;
}

/**
 * What PostgreSQL asks to be run again: a deadlock (40P01) or a serialization failure (40001), as
 * when several workers start at once and pg-boss creates its schema and the queue in each.
 */
const RUN_AGAIN = new Set(['40P01', '40001']);
const START_ATTEMPTS = 5;

/** pg-boss started on `url` with the slices' queue made, or the error that stopped it (it is stopped then). */
async function startBoss(url: string, log: Logger): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: url,
    application_name: 'opendoor-queue',
    max: 4,
    schedule: false,
    // expiry and retention are checked this often (the heartbeat, not this, finds dead workers)
    maintenanceIntervalSeconds: 60,
  });
  boss.on('error', (e: Error) => log.warn(`queue: ${e.message.split('\n')[0] ?? 'error'}`));
  try {
    await boss.start();
    if ((await boss.getQueue(QUEUE)) === null) {
      await boss
        .createQueue(QUEUE, { name: QUEUE, retryLimit: RETRY_LIMIT, retryDelay: 0, expireInSeconds: EXPIRE_S })
        .catch(async (e: unknown) => {
          if ((await boss.getQueue(QUEUE)) === null) throw e; // else another worker made it meanwhile
        });
    }
    return boss;
  } catch (e) {
    await boss.stop({ graceful: false, wait: false }).catch(() => undefined);
    throw e;
  }
}

const codeOf = (e: unknown): string | undefined =>
  e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : undefined;

/** pg-boss started, run again after what PostgreSQL asks to be run again; else one StoreError. */
async function startWithRetries(url: string, log: Logger): Promise<PgBoss> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startBoss(url, log);
    } catch (e) {
      const code = codeOf(e);
      if (code === undefined || !RUN_AGAIN.has(code) || attempt >= START_ATTEMPTS) {
        const why = code ?? (e instanceof Error ? (e.message.split('\n')[0] ?? 'error') : 'error');
        throw new StoreError(`cannot use the queue in ${redactUrl(url)}: ${why}`);
      }
      log.info(`queue: ${code} while starting; again (attempt ${attempt + 1} of ${START_ATTEMPTS})`);
      await new Promise((r) => setTimeout(r, 50 * attempt + Math.floor(Math.random() * 100)));
    }
  }
}

/** The queue in the database at `url` (a store's `queue.url`). */
export async function openQueue(url: string, log: Logger): Promise<WorkQueue> {
  const boss = await startWithRetries(url, log);
  const take = async (max: number): Promise<SliceJob[]> => {
    const jobs = await boss.fetch<{ scanId: string; slice: number }>(QUEUE, { batchSize: Math.max(1, max) });
    return jobs.map((j) => ({ id: j.id, scanId: j.data.scanId, slice: j.data.slice }));
  };
  return {
    send: async (scanId, count) => {
      const jobs = Array.from({ length: count }, (_, slice) => ({
        name: QUEUE,
        data: { scanId, slice },
        retryLimit: RETRY_LIMIT,
        retryDelay: 0,
        expireInSeconds: EXPIRE_S,
      }));
      for (let i = 0; i < jobs.length; i += 1000) await boss.insert(jobs.slice(i, i + 1000));
    },
    take,
    fetch: async () => (await take(1))[0] ?? null,
    complete: async (ids) => {
      if (typeof ids === 'string') await boss.complete(QUEUE, ids);
      else if (ids.length > 0) await boss.complete(QUEUE, ids);
    },
    retry: async (ids) => {
      if (typeof ids === 'string') await boss.fail(QUEUE, ids, { reason: 'worker gone' });
      else if (ids.length > 0) await boss.fail(QUEUE, ids);
    },
    // pg-boss 10 has no listing of active jobs: its own table, read only (pgboss.job, plans.js)
    stranded: async (olderThanMs) => {
      const { rows } = await boss
        .getDb()
        .executeSql(
          `SELECT id, data FROM pgboss.job WHERE name = $1 AND state = 'active' AND started_on < now() - make_interval(secs => $2)`,
          [QUEUE, olderThanMs / 1000],
        );
      return (rows as Array<{ id: string; data: { scanId: string; slice: number } }>).map((r) => ({
        id: r.id,
        scanId: r.data.scanId,
        slice: r.data.slice,
      }));
    },
    stop: () => boss.stop({ graceful: false, wait: true, timeout: 5000 }),
  };
}

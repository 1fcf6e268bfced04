/**
 * A worker: takes slices of queued scans from the queue and runs them through the same engine as
 * `opendoor scan` (the scan's own targets, exclusions, depth, rate and timeouts), its records into
 * the shared store: the slices of one scan as one run that takes more as it has room for them
 * (sliceRun.ts). While it holds slices it says so every BEAT_MS; every worker looks for slices
 * whose holder went silent for STALE_MS and hands them out again.
 */
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ScanJob } from '../engine/job.js';
import type { Store } from '../store/store.js';
import type { Logger } from '../util/log.js';
import type { SliceJob, WorkQueue } from './queue.js';
import { type Held, runSlices } from './sliceRun.js';

/** A worker holding a slice says so this often… */
export const BEAT_MS = 5000;
/** …and one silent this long is taken for dead: its slice goes to another worker. */
export const STALE_MS = 30_000;
/** How often each worker looks for dead workers' slices. */
const REAP_MS = 10_000;
/** Pause between asking an empty queue again; with --until-idle, while other workers finish the last slices, shorter (it exits as soon as they are done). */
const POLL_MS = 1000;
const LAST_SLICES_POLL_MS = 250;
/** Pauses before trying a queue or store operation again when the database is away (about a minute in all). */
const BACKOFF_MS: readonly number[] = [500, 1000, 2000, 4000, 8000, 16_000, 30_000];

export interface WorkerOptions {
  store: Store;
  queue: WorkQueue;
  log: Logger;
  /** Hosts probed at once (default: the scan's own --concurrency). */
  concurrency?: number;
  /** Exit once no slice of any scan is queued or held. */
  untilIdle: boolean;
  /** Take at most this many slices, finish them and exit (--max-slices). */
  maxSlices?: number;
  /** Take no new slice (first SIGTERM/SIGINT): those held are finished. */
  draining: () => boolean;
  /** Start no new host (a second signal): the slices held go back to the queue. */
  stopNow: () => boolean;
}

export function workerId(): string {
  return `${os.hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;
}

export async function runWorker(o: WorkerOptions, id = workerId()): Promise<{ slices: number }> {
  const { store, queue, log } = o;
  const jobs = new Map<string, ScanJob>();
  /** The scan, loaded once per worker; null when it is not in the store or holds no plan. */
  const jobFor = async (scanId: string): Promise<ScanJob | null> => {
    const known = jobs.get(scanId);
    if (known !== undefined) return known;
    const job = await ScanJob.load(
      store,
      scanId,
      log,
      o.concurrency !== undefined ? { concurrency: o.concurrency } : {},
    );
    if (typeof job === 'string') return null;
    jobs.set(scanId, job);
    return job;
  };
  /**
   * Dead workers' slices back to the queue: held ones whose heartbeat stopped, and jobs a worker
   * took from the queue but died before it held their slice (or after it finished it).
   */
  const reap = async (): Promise<void> => {
    for (const s of await store.slices.releaseStale(Date.now() - STALE_MS)) {
      log.warn(`slice ${s.slice} of scan ${s.scanId}: its worker went silent; queued again`);
      if (s.queueId !== null) await queue.retry(s.queueId);
    }
    for (const job of await queue.stranded(STALE_MS)) {
      const [s] = await store.slices.get(job.scanId, [job.slice]);
      if (s?.state === 'running') continue; // held: its heartbeat decides
      if (s?.state === 'queued') {
        log.warn(`slice ${s.slice} of scan ${s.scanId}: taken by a worker that went silent; queued again`);
        await queue.retry(job.id);
      } else await queue.complete(job.id); // done, or no longer in the store
    }
  };
  const warn = (what: string) => (e: unknown) => log.warn(`${what}: ${e instanceof Error ? e.message : 'error'}`);
  /** An operation on the database, tried again with backoff while it is away (restarting, unreachable). */
  const patiently = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    for (const wait of [...BACKOFF_MS, null]) {
      try {
        return await fn();
      } catch (e) {
        if (wait === null) throw e;
        warn(`${what} (again in ${wait} ms)`)(e);
        await sleep(wait);
      }
    }
    throw new Error('unreachable');
  };
  // slices taken from the queue (--max-slices: then it takes no more, finishes them and exits)
  let taken = 0;
  const draining = (): boolean => o.draining() || (o.maxSlices !== undefined && taken >= o.maxSlices);
  /** Up to `wanted` slices from the queue, held in the store (jobs whose slice it does not have are dropped). */
  const takeAndHold = async (wanted: number): Promise<Held[]> => {
    const max = Math.min(wanted, (o.maxSlices ?? Number.POSITIVE_INFINITY) - taken);
    if (max <= 0) return [];
    const jobs = await patiently('asking the queue', () => queue.take(max));
    taken += jobs.length;
    const out: Held[] = [];
    for (const [scanId, group] of byScan(jobs)) {
      const rows = await patiently('reading slices', () =>
        store.slices.get(
          scanId,
          group.map((j) => j.slice),
        ),
      );
      const held: Held[] = [];
      for (const job of group) {
        const r = rows.find((x) => x.slice === job.slice);
        if (r !== undefined && !held.some((h) => h.job.slice === job.slice)) held.push({ job, from: r.from, to: r.to });
      }
      const dropped = group.filter((j) => !held.some((h) => h.job === j));
      for (const j of dropped) log.warn(`slice ${j.slice} of scan ${scanId}: not in the store; dropped`);
      if (dropped.length > 0) await patiently('completing jobs', () => queue.complete(dropped.map((j) => j.id)));
      if (held.length === 0) continue;
      const hold = held.map((h) => ({ slice: h.job.slice, queueId: h.job.id }));
      await patiently('taking slices', () => store.slices.hold(scanId, hold, id));
      log.info(`took ${held.length === 1 ? `slice ${held[0]?.job.slice}` : `${held.length} slices`} of scan ${scanId}`);
      out.push(...held);
    }
    return out;
  };
  /** Held slices not run (stopped at once): back to the queue. */
  const giveBack = async (held: readonly Held[]): Promise<void> => {
    for (const [scanId, group] of byScan(held.map((h) => h.job))) {
      await patiently('giving slices back', () =>
        store.slices.release(
          scanId,
          group.map((j) => j.slice),
          id,
        ),
      );
      await patiently('giving jobs back', () => queue.retry(group.map((j) => j.id)));
    }
  };
  const beat = setInterval(() => void store.slices.beat(id).catch(warn('heartbeat')), BEAT_MS);
  const reaper = setInterval(() => void reap().catch(warn('looking for dead workers')), REAP_MS);
  let slices = 0;
  // slices held and not yet run (taken with another scan's), and how many to take at once
  let stash: Held[] = [];
  const take = { n: 1 };
  try {
    await patiently('looking for dead workers', reap);
    // draining: what is held is finished, nothing new is taken
    while (stash.length > 0 || !draining()) {
      if (o.stopNow()) {
        await giveBack(stash);
        break;
      }
      if (stash.length === 0) stash = await takeAndHold(take.n);
      const scanId = stash[0]?.job.scanId;
      if (scanId === undefined) {
        if (o.untilIdle && (await patiently('counting open slices', () => store.slices.open())) === 0) break;
        for (let t = 0; t < (o.untilIdle ? LAST_SLICES_POLL_MS : POLL_MS) && !draining(); t += 250) await sleep(250);
        continue;
      }
      const first = stash.filter((h) => h.job.scanId === scanId);
      stash = stash.filter((h) => h.job.scanId !== scanId);
      const job = await patiently('reading its scan', () => jobFor(scanId));
      if (job === null) {
        log.warn(`scan ${scanId}: not in the store; its ${first.length} slice(s) dropped`);
        await patiently('completing jobs', () => queue.complete(first.map((h) => h.job.id)));
        continue;
      }
      slices += await runSlices({
        store,
        queue,
        log,
        worker: id,
        job,
        first,
        take,
        draining,
        stopNow: o.stopNow,
        patiently,
        // more of this scan; another scan's slices taken meanwhile wait for their own run
        more: async (max) => {
          const got = await takeAndHold(max);
          stash.push(...got.filter((h) => h.job.scanId !== scanId));
          return got.filter((h) => h.job.scanId === scanId);
        },
      });
    }
  } finally {
    clearInterval(beat);
    clearInterval(reaper);
  }
  return { slices };
}

/** Jobs grouped by scan, in the order taken. */
function byScan(jobs: readonly SliceJob[]): Map<string, SliceJob[]> {
  const groups = new Map<string, SliceJob[]>();
  for (const j of jobs) groups.set(j.scanId, [...(groups.get(j.scanId) ?? []), j]);
  return groups;
}

/**
 * A worker: takes slices of queued scans from the queue and runs them through the same engine as
 * `opendoor scan` (the scan's own targets, exclusions, depth, rate and timeouts), its records into
 * the shared store. Slices that go fast are taken several at a time and run as one (one sweep, one
 * transaction to hold them and one to finish them), so that a run takes about RUN_MS; slow ones
 * one by one, so that other workers share them. The next slices are asked for as soon as a run
 * ends. While it holds slices it says so every BEAT_MS; every worker looks for slices whose holder
 * went silent for STALE_MS and hands them out again.
 */
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildPlan, sliceItems, type Plan, type PlanArgs } from '../engine/plan.js';
import { runScan } from '../engine/scan.js';
import type { ScanSink } from '../output/sink.js';
import type { Store } from '../store/store.js';
import type { WorkItem } from '../types/work.js';
import type { Logger } from '../util/log.js';
import type { SliceJob, WorkQueue } from './queue.js';

/** A worker holding a slice says so this often… */
export const BEAT_MS = 5000;
/** …and one silent this long is taken for dead: its slice goes to another worker. */
export const STALE_MS = 30_000;
/** How often each worker looks for dead workers' slices. */
const REAP_MS = 10_000;
/** A run of slices should take about this long: slices are taken as many at a time as fill it at the last run's pace… */
const RUN_MS = 2000;
/** …at most twice as many as the last time, and at most this many. */
const MAX_TAKE = 256;
/** A run's hosts done are written this often at most (its records as each host ends, as `scan` does). */
const PROGRESS_MS = 1000;
/** Pause between asking an empty queue again. */
const POLL_MS = 1000;
/** Pauses before trying a queue or store operation again when the database is away (about a minute in all). */
const BACKOFF_MS: readonly number[] = [500, 1000, 2000, 4000, 8000, 16_000, 30_000];

export interface WorkerOptions {
  store: Store;
  queue: WorkQueue;
  log: Logger;
  /** Hosts probed at once within a slice (default: the scan's own --concurrency). */
  concurrency?: number;
  /** Exit once no slice of any scan is queued or held. */
  untilIdle: boolean;
  /** Take no new slice (first SIGTERM/SIGINT): the one held is finished. */
  draining: () => boolean;
  /** Start no new host (a second signal): the slice goes back to the queue. */
  stopNow: () => boolean;
}

export function workerId(): string {
  return `${os.hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;
}

interface Loaded {
  plan: Plan;
  started: number;
}

export async function runWorker(o: WorkerOptions, id = workerId()): Promise<{ slices: number }> {
  const { store, queue, log } = o;
  const plans = new Map<string, Loaded>();
  const planFor = async (scanId: string): Promise<Loaded | null> => {
    const known = plans.get(scanId);
    if (known !== undefined) return known;
    const row = await store.scan(scanId);
    if (row === null) return null;
    const args = JSON.parse(row.args) as PlanArgs;
    const loaded = {
      plan: await buildPlan(o.concurrency !== undefined ? { ...args, concurrency: o.concurrency } : args, log),
      started: Date.parse(row.started),
    };
    plans.set(scanId, loaded);
    return loaded;
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
  const beat = setInterval(() => void store.slices.beat(id).catch(warn('heartbeat')), BEAT_MS);
  const reaper = setInterval(() => void reap().catch(warn('looking for dead workers')), REAP_MS);
  let slices = 0;
  try {
    await patiently('looking for dead workers', reap);
    let take = 1;
    while (!o.draining()) {
      const jobs = await patiently('asking the queue', () => queue.take(take));
      if (jobs.length === 0) {
        if (o.untilIdle && (await patiently('counting open slices', () => store.slices.open())) === 0) break;
        for (let t = 0; t < POLL_MS && !o.draining(); t += 250) await sleep(250);
        continue;
      }
      const started = performance.now();
      for (const [scanId, group] of byScan(jobs)) {
        // stopped at once: what was taken and not started goes straight back
        if (o.stopNow()) await patiently('giving jobs back', () => queue.retry(group.map((j) => j.id)));
        else slices += await runSlices(scanId, group);
      }
      take = nextTake(jobs.length, performance.now() - started);
    }
  } finally {
    clearInterval(beat);
    clearInterval(reaper);
  }
  return { slices };

  /** Slices of one scan run as one: held together, swept together, done together. Answers how many were done. */
  async function runSlices(scanId: string, jobs: readonly SliceJob[]): Promise<number> {
    const rows = await patiently('reading slices', () =>
      store.slices.get(scanId, [...new Set(jobs.map((j) => j.slice))]),
    );
    const loaded = rows.length === 0 ? null : await patiently('reading its scan', () => planFor(scanId));
    const parts =
      loaded === null ? [] : rows.map((r) => ({ ...r, job: jobs.find((j) => j.slice === r.slice), hosts: 0 }));
    const held = parts.flatMap((p) => (p.job === undefined ? [] : [{ slice: p.slice, queueId: p.job.id }]));
    const dropped = jobs.filter((j) => !held.some((h) => h.queueId === j.id));
    for (const j of dropped) log.warn(`slice ${j.slice} of scan ${scanId}: not in the store; dropped`);
    if (dropped.length > 0) await patiently('completing jobs', () => queue.complete(dropped.map((j) => j.id)));
    if (loaded === null || held.length === 0) return 0;
    await patiently('taking slices', () => store.slices.hold(scanId, held, id));
    function* source(plan: Plan): Generator<WorkItem> {
      for (const p of parts)
        for (const item of sliceItems(plan, p.from, p.to)) {
          p.hosts++;
          yield item;
        }
    }
    // hosts done so far are counted on the first slice (the others are at 0 until they are done)
    let saved = performance.now();
    const note = async (state: { hostsDone: number }): Promise<void> => {
      if (performance.now() - saved < PROGRESS_MS) return;
      saved = performance.now();
      await store.slices.progress(scanId, held[0]?.slice ?? 0, state.hostsDone);
    };
    const sink: ScanSink = {
      host: async (records, state) => {
        await store.recordHost(scanId, records, null);
        await note(state);
      },
      progress: note,
    };
    const { status } = await runScan(loaded.plan, {
      sinks: [sink],
      log,
      from: null,
      shouldStop: o.stopNow,
      progress: false,
      source: source(loaded.plan),
      sourceSize: parts.reduce((n, p) => n + (p.to - p.from), 0n),
    });
    const ids = held.map((h) => h.queueId);
    // stopped at once, or hosts whose records could not be stored: the slices go back whole
    if (status !== 'done') {
      await patiently('giving slices back', () =>
        store.slices.release(
          scanId,
          held.map((h) => h.slice),
          id,
        ),
      );
      await patiently('giving jobs back', () => queue.retry(ids));
      return 0;
    }
    const left = await patiently('finishing slices', () =>
      store.slices.done(
        scanId,
        parts.map((p) => ({ slice: p.slice, hostsDone: p.hosts })),
        { targets: Number(loaded.plan.total), elapsedMs: Date.now() - loaded.started },
      ),
    );
    await patiently('completing jobs', () => queue.complete(ids));
    const what = held.length === 1 ? `slice ${held[0]?.slice}` : `${held.length} slices`;
    log.info(`${what} of scan ${scanId} done; ${left} left`);
    return held.length;
  }
}

/** Jobs grouped by scan, in the order taken. */
function byScan(jobs: readonly SliceJob[]): Map<string, SliceJob[]> {
  const groups = new Map<string, SliceJob[]>();
  for (const j of jobs) groups.set(j.scanId, [...(groups.get(j.scanId) ?? []), j]);
  return groups;
}

/** Slices to take next: as many as fill RUN_MS at the last run's pace, at most twice as many as it took, 1 to MAX_TAKE. */
export function nextTake(took: number, ms: number): number {
  const perSlice = Math.max(1, ms / Math.max(1, took));
  return Math.max(1, Math.min(MAX_TAKE, 2 * took, Math.floor(RUN_MS / perSlice)));
}

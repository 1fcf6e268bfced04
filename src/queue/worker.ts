/**
 * A worker: takes slices of queued scans from the queue, one at a time, and runs each through the
 * same engine as `opendoor scan` (the scan's own targets, exclusions, depth, rate and timeouts),
 * its records into the shared store. While it holds a slice it says so every BEAT_MS; every
 * worker looks for slices whose holder went silent for STALE_MS and hands them out again.
 */
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildPlan, sliceItems, type Plan, type PlanArgs } from '../engine/plan.js';
import { runScan } from '../engine/scan.js';
import { judgeClusters, newPrintKey } from '../engine/clusters.js';
import type { ScanSink } from '../output/sink.js';
import type { Store } from '../store/store.js';
import type { Logger } from '../util/log.js';
import type { SliceJob, WorkQueue } from './queue.js';

/** A worker holding a slice says so this often… */
export const BEAT_MS = 5000;
/** …and one silent this long is taken for dead: its slice goes to another worker. */
export const STALE_MS = 30_000;
/** How often each worker looks for dead workers' slices. */
const REAP_MS = 10_000;
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
      const s = await store.slices.get(job.scanId, job.slice);
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
    while (!o.draining()) {
      const job = await patiently('asking the queue', () => queue.fetch());
      if (job === null) {
        if (o.untilIdle && (await patiently('counting open slices', () => store.slices.open())) === 0) break;
        for (let t = 0; t < POLL_MS && !o.draining(); t += 250) await sleep(250);
        continue;
      }
      await runSlice(job);
      slices++;
    }
  } finally {
    clearInterval(beat);
    clearInterval(reaper);
  }
  return { slices };

  async function runSlice(job: SliceJob): Promise<void> {
    const slice = await patiently('reading a slice', () => store.slices.get(job.scanId, job.slice));
    const loaded = slice === null ? null : await patiently('reading its scan', () => planFor(job.scanId));
    if (slice === null || loaded === null) {
      log.warn(`slice ${job.slice} of scan ${job.scanId}: not in the store; dropped`);
      await patiently('completing a job', () => queue.complete(job.id));
      return;
    }
    await patiently('taking a slice', () => store.slices.hold(job.scanId, job.slice, id, job.id));
    const sink: ScanSink = {
      host: async (records, state, prints) => {
        const host = records[0]?.host;
        await store.recordHost(job.scanId, records, null, host !== undefined ? { host, prints } : undefined);
        await store.slices.progress(job.scanId, job.slice, state.hostsDone);
      },
      progress: (state) => store.slices.progress(job.scanId, job.slice, state.hostsDone),
    };
    const printKey = await patiently('reading the print key', () => store.clusters.printKey(job.scanId, newPrintKey));
    const { status } = await runScan(loaded.plan, {
      sinks: [sink],
      printKey: Buffer.from(printKey, 'base64url'),
      log,
      from: null,
      shouldStop: o.stopNow,
      progress: false,
      source: sliceItems(loaded.plan, slice.from, slice.to),
    });
    // stopped at once, or hosts whose records could not be stored: the slice goes back whole
    if (status !== 'done') {
      await patiently('giving a slice back', () => store.slices.release(job.scanId, job.slice, id));
      await patiently('giving a job back', () => queue.retry(job.id));
      return;
    }
    const left = await patiently('finishing a slice', () =>
      store.slices.done(job.scanId, job.slice, {
        targets: Number(loaded.plan.total),
        elapsedMs: Date.now() - loaded.started,
      }),
    );
    // the last slice finished the scan: every host is in, and its clusters are judged from the store
    if (left === 0) await patiently('judging clusters', () => judgeClusters(store, job.scanId));
    await patiently('completing a job', () => queue.complete(job.id));
    log.info(`slice ${job.slice} of scan ${job.scanId} done; ${left} left`);
  }
}

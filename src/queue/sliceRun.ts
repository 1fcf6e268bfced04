/**
 * A worker's run over slices of one scan: one engine run (one sweep, one rate budget) whose work
 * arrives a few slices at a time. More slices are taken from the queue as soon as the hosts in
 * flight no longer fill the scan's concurrency (so the worker never waits between slices, and
 * takes no more than it can start: other workers get the rest); how many at once adapts so that a
 * take lasts about TAKE_MS from being taken to done (quick slices many at a time, slow ones one by one). A slice is done
 * once its every host is: the slices done meanwhile are written together, one transaction.
 */
import { sliceItems } from '../engine/plan.js';
import { judgeClusters } from '../engine/clusters.js';
import { type ScanJob, readOptOuts } from '../engine/job.js';
import type { Store } from '../store/store.js';
import type { WorkItem } from '../types/work.js';
import type { Logger } from '../util/log.js';
import type { SliceJob, WorkQueue } from './queue.js';

/** A take should last about this long: as many slices at once as fill it at the last take's pace… */
const TAKE_MS = 2000;
/** …at most twice as many as the last time, and at most this many. */
const MAX_TAKE = 256;
/** While the hosts in flight fill the concurrency, whether to stop waiting is asked again this often. */
const RECHECK_MS = 250;

/** A slice taken from the queue and held in the store: its steps of the scan's walk. */
export interface Held {
  job: SliceJob;
  from: bigint;
  to: bigint;
}

export interface SliceRunOptions {
  store: Store;
  queue: WorkQueue;
  log: Logger;
  /** This worker (the holder of the slices). */
  worker: string;
  /** The scan, loaded (its plan built at the worker's concurrency). */
  job: ScanJob;
  /** Slices of this scan already held. */
  first: readonly Held[];
  /** Up to `max` more slices of this scan, taken and held (none: the run ends with what it has). */
  more: (max: number) => Promise<Held[]>;
  /** Slices to take at once: adapted by the run, kept by the worker for its next one. */
  take: { n: number };
  draining: () => boolean;
  stopNow: () => boolean;
  /** A store or queue operation, tried again with backoff while the database is away. */
  patiently: <T>(what: string, fn: () => Promise<T>) => Promise<T>;
}

/** Slices taken together: when they were taken, how many, how many are not finished. */
interface Take {
  at: number;
  slices: number;
  left: number;
}

interface Part {
  held: Held;
  take: Take;
  /** Its items yielded and not settled. */
  left: number;
  hosts: number;
  /** Its targets the opt-out list left out. */
  optedOut: number;
  /** Every item yielded. */
  entered: boolean;
  /** An item was given up: the slice goes back to the queue. */
  failed: boolean;
  finished: boolean;
}

/** Slices to take next: as many as fill TAKE_MS at the pace of the last take finished, at most twice as many as it took, 1 to MAX_TAKE. */
export function nextTake(took: number, ms: number): number {
  const perSlice = Math.max(1, ms / Math.max(1, took));
  return Math.max(1, Math.min(MAX_TAKE, 2 * took, Math.floor(TAKE_MS / perSlice)));
}

/** Runs the slices of one scan as they come; answers how many were done (the others went back to the queue). */
export async function runSlices(o: SliceRunOptions): Promise<number> {
  const { store, queue, log, job } = o;
  const { id: scanId, plan } = job;
  const parts: Part[] = [];
  const inFlight = new Map<bigint, Part>();
  const ready: Part[] = [];
  let yielded = 0;
  let settled = 0;
  let done = 0;
  let wake: (() => void) | null = null;
  const check = (p: Part): void => {
    if (!p.entered || p.left > 0 || p.failed || p.finished) return;
    p.finished = true;
    ready.push(p);
    // the slices' pace: how long the last take took from being taken to its last slice done
    if (--p.take.left === 0) o.take.n = nextTake(p.take.slices, performance.now() - p.take.at);
  };
  const onSettled = (items: readonly bigint[], ok: boolean, optedOut = false): void => {
    for (const idx of items) {
      const p = inFlight.get(idx);
      if (p === undefined) continue;
      inFlight.delete(idx);
      settled++;
      p.left--;
      if (optedOut) p.optedOut++;
      else if (ok) p.hosts++;
      else p.failed = true;
      check(p);
    }
    wake?.();
  };
  /** The slices whose every host is done: done in the store, completed in the queue. */
  const flush = async (): Promise<void> => {
    const batch = ready.splice(0);
    if (batch.length === 0) return;
    const left = await o.patiently('finishing slices', () =>
      store.slices.done(
        scanId,
        batch.map((p) => ({ slice: p.held.job.slice, hostsDone: p.hosts, optedOut: p.optedOut })),
        { targets: Number(plan.total), elapsedMs: Date.now() - job.startedMs },
      ),
    );
    // the last slice finished the scan: every host is in, and its clusters are judged from the store
    if (left === 0) await o.patiently('judging clusters', () => judgeClusters(store, scanId));
    await o.patiently('completing jobs', () => queue.complete(batch.map((p) => p.held.job.id)));
    done += batch.length;
    const what = batch.length === 1 ? `slice ${batch[0]?.held.job.slice}` : `${batch.length} slices`;
    log.info(`${what} of scan ${scanId} done; ${left} left`);
  };
  /** Until the hosts in flight are fewer than `want`, or the worker stops taking work; slices done meanwhile are written. */
  const room = async (want: number): Promise<void> => {
    while (yielded - settled >= want && !o.draining() && !o.stopNow()) {
      await flush();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, RECHECK_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    wake = null;
  };
  async function* source(): AsyncGenerator<WorkItem> {
    let batch = o.first;
    for (;;) {
      let items = 0;
      const take: Take = { at: performance.now(), slices: batch.length, left: batch.length };
      const taken = batch.map(
        (held): Part => ({
          held,
          take,
          left: 0,
          hosts: 0,
          optedOut: 0,
          entered: false,
          failed: false,
          finished: false,
        }),
      );
      parts.push(...taken);
      for (const p of taken) {
        for (const item of sliceItems(plan, p.held.from, p.held.to)) {
          inFlight.set(item.idx, p);
          p.left++;
          yielded++;
          items++;
          yield item;
        }
        p.entered = true;
        check(p);
      }
      // more once the hosts in flight no longer fill the concurrency (a sweep's: half the last take)
      await room(Math.max(plan.args.concurrency, Math.floor(items / 2)));
      if (o.draining() || o.stopNow()) return;
      await flush();
      batch = await o.more(o.take.n);
      if (batch.length === 0) return;
      // read again as each take starts: an opt-out added after the scan was queued applies to the slices left
      optOuts = await o.patiently('reading the opt-out list', () => readOptOuts(store, log));
    }
  }
  let optOuts = await o.patiently('reading the opt-out list', () => readOptOuts(store, log));
  // the scan's print key, the same for every worker of it (clusters are judged over all its hosts)
  const printKey = await o.patiently('reading the print key', () => job.printKey());
  await job.runPart(source(), {
    log,
    shouldStop: o.stopNow,
    settled: onSettled,
    // the list as last read (at each take)
    optOuts: { has: (host) => optOuts.has(host), unapplied: [] },
    printKey,
  });
  await flush();
  // stopped at once, or hosts whose records could not be stored: those slices go back whole
  const back = parts.filter((p) => !p.finished);
  if (back.length > 0) {
    await o.patiently('giving slices back', () =>
      store.slices.release(
        scanId,
        back.map((p) => p.held.job.slice),
        o.worker,
      ),
    );
    await o.patiently('giving jobs back', () => queue.retry(back.map((p) => p.held.job.id)));
  }
  return done;
}

/**
 * The scan's scheduling: work items in sweep batches (cut by size, or by a streamed source's
 * silence), a failed batch swept again, at most so many batches in flight; hosts with an open port
 * probed at most --concurrency at once, one at a time per host, and held a while longer for their
 * attribution (which holds no probe slot). It knows nothing of what a sweep or a probe finds: the
 * engine (scan.ts) says what to do with each.
 */
import type { SweepJob, SweepResult } from '../sweep/connectSweep.js';
import type { WorkItem } from '../types/work.js';
import type { Logger } from '../util/log.js';

/** At most this many connects per sweep batch; fewer at low rates (a quarter second's worth), so results come steadily. */
const BATCH_CONNECTS = 2048;
/** Hosts probed and waiting for their attribution (an RDAP answer) beyond --concurrency; then the walk waits. */
export const HELD_FOR_ATTRIBUTION = 1024;
/** A failed sweep batch is tried this many more times. */
export const SWEEP_RETRIES = 2;

/** How the sweep is cut: hosts per batch, and batches in flight at once. */
export function batchSizes(
  rate: number,
  ports: number,
  inFlight: number,
  threads: number,
): { batchHosts: number; maxBatches: number } {
  const batchConnects =
    Number.isFinite(rate) && rate > 0 ? Math.max(64, Math.min(BATCH_CONNECTS, Math.floor(rate / 4))) : BATCH_CONNECTS;
  const batchHosts = Math.max(1, Math.min(256, Math.floor(batchConnects / Math.max(1, ports))));
  const maxBatches = Math.max(2 * Math.max(1, threads), Math.ceil(inFlight / batchConnects) + threads);
  return { batchHosts, maxBatches };
}

export interface SchedulerOptions {
  /** Hosts probed at once (--concurrency). */
  concurrency: number;
  batchHosts: number;
  maxBatches: number;
  /** Sweeps one batch (the sweeper's). */
  sweep: (jobs: SweepJob[]) => Promise<SweepResult[]>;
  /** A batch's answers, in its order. */
  swept: (items: WorkItem[], results: SweepResult[]) => Promise<void>;
  /** A batch whose sweep failed every time: its items are not finished. */
  gaveUp: (items: WorkItem[]) => void;
  log: Logger;
  /** A streamed source: a partial batch is swept after this long without a new item (null: never). */
  idleFlushMs: number | null;
}

export class BatchScheduler {
  private batch: WorkItem[] = [];
  private readonly sweeping = new Set<Promise<void>>();
  /** Hosts being probed (--concurrency counts them)… */
  private readonly probing = new Set<Promise<void>>();
  /** …and every host until its results are kept (attribution, which may wait for RDAP, holds no probe slot). */
  private readonly finishing = new Set<Promise<void>>();
  /** One host's work at a time, even when a sweeper lists the same host once per port. */
  private readonly busy = new Map<string, Promise<void>>();
  /** Whoever waits for a probe or a sweep to end (the walk, and swept hosts waiting for a probe slot). */
  private waiting: Array<() => void> = [];
  private lastItem = performance.now();
  private readonly idle: NodeJS.Timeout | null;

  constructor(private readonly o: SchedulerOptions) {
    const ms = o.idleFlushMs;
    this.idle = ms !== null ? setInterval(() => performance.now() - this.lastItem >= ms && this.flush(), ms) : null;
  }

  /** An item arrived from the source (a streamed source's partial batch waits while items keep coming). */
  arrived(): void {
    this.lastItem = performance.now();
  }

  /** No new host while --concurrency are probed, or too many wait for their attribution (RDAP at its pace). */
  private full(): boolean {
    return this.probing.size >= this.o.concurrency || this.finishing.size >= this.o.concurrency + HELD_FOR_ATTRIBUTION;
  }

  private freed(): void {
    for (const w of this.waiting.splice(0)) w();
  }

  private anEnd(): Promise<void> {
    return new Promise<void>((r) => this.waiting.push(r));
  }

  /** Until a new item may enter: the sweep waits for the probes, so open hosts never pile up faster than they are probed. */
  async room(): Promise<void> {
    while (this.full() || this.sweeping.size >= this.o.maxBatches) await this.anEnd();
  }

  /** Until a probe slot is free, or `stopped` says to start nothing new; answers whether one is. */
  async probeSlot(stopped: () => boolean): Promise<boolean> {
    while (this.full() && !stopped()) await this.anEnd();
    return !stopped();
  }

  /** An item to sweep: its batch goes once full. */
  add(item: WorkItem): void {
    this.batch.push(item);
    if (this.batch.length >= this.o.batchHosts) this.flush();
  }

  /** The partial batch swept now. */
  flush(): void {
    if (this.batch.length === 0) return;
    const items = this.batch;
    this.batch = [];
    const jobs = items.map((i) => ({ host: i.host, ports: i.ports }));
    const { log } = this.o;
    // a batch whose helper or worker died is swept again (the sweeper has dropped the dead one)
    const attempt = (left: number): Promise<void> =>
      this.o.sweep(jobs).then(
        (results) => this.o.swept(items, results),
        (e: unknown) => {
          const why = e instanceof Error ? e.message : 'error';
          if (left > 0) {
            log.warn(`sweep of ${items.length} hosts failed (${why}); sweeping them again`);
            return attempt(left - 1);
          }
          log.error(`sweep of ${items.length} hosts failed (${why}); they stay open for --resume`);
          this.o.gaveUp(items);
        },
      );
    const p: Promise<void> = attempt(SWEEP_RETRIES)
      .catch((e: unknown) =>
        log.error(`after the sweep of ${items.length} hosts: ${e instanceof Error ? e.name : 'error'}`),
      )
      .finally(() => {
        this.sweeping.delete(p);
        this.freed();
      });
    this.sweeping.add(p);
  }

  /**
   * One host's work: `probe` in a probe slot (after the host's previous work), then `finish` with
   * its result outside the slot; `failed` when either throws.
   */
  host<T>(host: string, probe: () => Promise<T>, finish: (t: T) => Promise<void>, failed: (e: unknown) => void): void {
    const previous = this.busy.get(host) ?? Promise.resolve();
    const probed = (): void => {
      if (this.probing.delete(p)) this.freed();
    };
    const p: Promise<void> = previous
      .then(probe)
      .then(async (t) => {
        probed();
        await finish(t);
      })
      .catch(failed)
      .finally(() => {
        this.probing.delete(p);
        this.finishing.delete(p);
        if (this.busy.get(host) === p) this.busy.delete(host);
        this.freed();
      });
    this.probing.add(p);
    this.finishing.add(p);
    this.busy.set(host, p);
  }

  /** What is under way, to its end: sweeps (and the probes they start), probes, hosts being finished. */
  async drain(): Promise<void> {
    if (this.idle !== null) clearInterval(this.idle);
    await Promise.all([...this.sweeping]);
    await Promise.all([...this.probing]);
    await Promise.all([...this.finishing]);
  }

  /** No more partial batches swept on silence (the source ended or failed). */
  stopIdle(): void {
    if (this.idle !== null) clearInterval(this.idle);
  }
}

/**
 * The scan engine: work items → port sweep (batches of hosts, in worker threads for large scans)
 * → one service probe at a time per host with an open port → identification → findings →
 * records, handed to the scan's sinks as they are ready (the primary one first: the store, or a
 * worker's slices; then JSON Lines; the engine knows no more of them). Closed hosts are marked done
 * a batch at a time. Scheduling is batches.ts, where the scan stands resumeTracker.ts. Bounded
 * everywhere: sweep batches in flight, connects in flight, hosts being probed (--concurrency), new
 * connections per second (--rate, one budget for all threads).
 */
import { randomBytes } from 'node:crypto';
import { fdLimit, sweepInFlight, sweepThreads, type SweepResult } from '../sweep/connectSweep.js';
import { isExposedRecord } from '../output/records.js';
import type { ScanSink } from '../output/sink.js';
import { currentScope } from '../net/hostScope.js';
import { hintsFrom } from '../probes/dicom/aeTitles.js';
import type { AeHint } from '../probes/types.js';
import { WEB_FIRST_PORTS } from '../probes/classify.js';
import { probeContext } from '../probes/context.js';
import { probeService, serviceBoundMs, type ServiceResult } from '../probes/service.js';
import type { Logger } from '../util/log.js';
import type { OptOutSet } from '../targets/optout.js';
import type { ResumeState, WorkItem } from '../types/work.js';
import { workItems, type Plan } from './plan.js';
import { cutShort, type HostOutcome, hostRecords } from './hostRecords.js';
import { HOST_DEADLINE_SLACK_MS, HostWatch } from './hostWatch.js';
import { Progress } from './progress.js';
import { BatchScheduler, batchSizes } from './batches.js';
import { ResumeTracker } from './resumeTracker.js';
import { RateLimiter } from '../sweep/rate.js';
import { openSweeper } from '../sweep/sweeper.js';
import { Attributor } from '../attribution/attribute.js';
import type { RdapCacheStore } from '../store/store.js';

export interface RunOptions {
  /** Where each host's records go first (the store, or a worker's slices): a host is done once they are there. */
  primary: ScanSink;
  /** Where they go next, in this order (JSON Lines). */
  sinks: readonly ScanSink[];
  log: Logger;
  /** Where an interrupted scan stood (--resume), or null for a new scan. */
  from: ResumeState | null;
  /** Polled before each new host: true stops scheduling (SIGINT). */
  shouldStop: () => boolean;
  progress: boolean;
  /** Work arriving from stdin (or its stored copy, on resume) instead of the plan's permuted space. */
  source?: AsyncIterable<WorkItem> | Iterable<WorkItem>;
  /**
   * Told of items as they leave the run: done (the first sink has their results; `optedOut`: left
   * out by the opt-out list, no packet sent) or given up (a sweep that failed again and again,
   * records the store refused: they stay unfinished).
   */
  settled?: (items: readonly bigint[], done: boolean, optedOut?: boolean) => void;
  /** Hosts in flight under their deadlines (the caller may list them, e.g. on SIGUSR1). */
  watch?: HostWatch;
  /** Where RDAP answers are kept across runs (the store's), when the scan looks abuse contacts up. */
  rdapCache?: RdapCacheStore;
  /**
   * The opt-out list as read when this run (a scan, a resume, a worker's slice) starts: its
   * addresses are left out like exclusions, whatever the source (before any sweep or probe), and
   * counted. Read at each start, so a list changed after a scan was planned applies to what is left.
   */
  optOuts: OptOutSet;
  /** The scan's print key (the store's, shared by its workers): hosts' answers are printed for clusters. */
  printKey?: Buffer;
}

export function newScanId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
    .replace('T', '-');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** Below this many hosts the sweep stays on the main thread: starting workers would cost more than it saves. */
const POOL_FROM_HOSTS = 1024n;
/** A streamed source that has said nothing for this long gets its partial batch swept. */
const IDLE_FLUSH_MS = 20;

async function probeOpenPorts(
  host: string,
  open: number[],
  plan: Plan,
  rate: RateLimiter,
  watch: HostWatch,
  log: Logger,
  /** The ports were seen open by our own sweep (not reported by a list): a refusal now is asked again. */
  sweptOpen: boolean,
  printKey: Buffer | undefined,
): Promise<HostOutcome> {
  const opts = probeContext({
    args: plan.args,
    log,
    rate,
    waited: (ms) => watch.waited(currentScope(), ms),
    sweptOpen,
    ...(printKey !== undefined ? { printKey } : {}),
  });
  const bound = open.reduce((sum, port) => sum + serviceBoundMs(port, opts), HOST_DEADLINE_SLACK_MS);
  const deadlineMs = Math.min(bound, plan.args.hostTimeoutMs ?? bound);
  // web ports first: what the host's web side tells (its AE title, its product) helps its DICOM ports
  const ordered = [...open].sort((x, y) => Number(WEB_FIRST_PORTS.has(y)) - Number(WEB_FIRST_PORTS.has(x)));
  const results: ServiceResult[] = [];
  const aeHints: AeHint[] = [];
  const expired = await watch.run(host, deadlineMs, async () => {
    for (const port of ordered) {
      const r = await probeService(host, port, { ...opts, aeHints: [...aeHints] });
      results.push(r);
      aeHints.push(...hintsFrom(r.observation, r.product));
    }
  });
  if (expired !== null) {
    log.warn(`${host}: host deadline (${deadlineMs} ms) reached in step ${expired.step}; its connections were closed`);
    for (const port of ordered.slice(results.length)) results.push(cutShort(host, port, expired, deadlineMs));
  }
  return hostRecords(results.sort((x, y) => open.indexOf(x.observation.port) - open.indexOf(y.observation.port)));
}

export interface RunResult {
  status: 'done' | 'interrupted';
  elapsedMs: number;
  /** Items the opt-out list left out, this run and the runs it resumes. */
  optedOut: number;
}

/** Runs (or resumes) a scan; says whether it finished or was interrupted (the caller records which). */
export async function runScan(plan: Plan, o: RunOptions): Promise<RunResult> {
  const started = performance.now();
  const a = plan.args;
  // the user's files were checked when the scan was planned; parsed again here (resume, workers)
  const attributor = new Attributor(a.attribution, { log: o.log, cache: o.rdapCache ?? null, timeoutMs: a.timeoutMs });
  const rate = new RateLimiter(a.rate);
  const connectTimeoutMs = a.connectTimeoutMs ?? a.timeoutMs;
  const inFlight = sweepInFlight(a.rate, connectTimeoutMs, fdLimit());
  const threads = o.source !== undefined || plan.total >= POOL_FROM_HOSTS ? sweepThreads() : 0;
  const connects = o.source === undefined ? plan.total * BigInt(a.ports.length) : null;
  const pool = openSweeper({ rate, timeoutMs: connectTimeoutMs, inFlight, parallel: threads, connects });
  o.log.debug(
    `sweep: ${pool.kind}, ${Math.max(1, threads)} ${pool.kind === 'native' ? 'helper(s)' : 'thread(s)'}, ${inFlight} connects in flight`,
  );
  const watch = o.watch ?? new HostWatch();
  const progress = new Progress(o.source === undefined ? plan.total : null, o.progress, watch);
  progress.skip((o.from?.hostsDone ?? 0) + (o.from?.optedOut ?? 0));
  const tracker = new ResumeTracker(o.from);
  let stopped = false;
  let failure: unknown = null;

  /** A host with open ports: probed, attributed, its records to the primary sink (then it is done), then the others. */
  const probeHost = (item: WorkItem, open: number[]): void =>
    scheduler.host(
      item.host,
      () => probeOpenPorts(item.host, open, plan, rate, watch, o.log, item.open !== true, o.printKey),
      async ({ records: found, prints }) => {
        const records = await attributor.attribute(found);
        // the primary sink first: a host whose records did not reach it stays pending
        await o.primary.host(records, tracker.snapshot(item.idx), prints);
        tracker.done(item.idx);
        o.settled?.([item.idx], true);
        for (const s of o.sinks) await s.host(records, tracker.snapshot(), prints);
        progress.host(records.length, records.filter(isExposedRecord).length);
      },
      (e: unknown) => {
        o.log.error(`${item.host}: ${e instanceof Error ? e.name : 'error'}`);
        if (tracker.pending(item.idx)) o.settled?.([item.idx], false);
      },
    );
  // closed hosts are done when their batch's answer is saved, in the same tick (a kill -9 sweeps none
  // of them again); hosts with records save the progress with their records, in one transaction
  const saveProgress = async (): Promise<void> => {
    const s = tracker.snapshot();
    for (const sink of [o.primary, ...o.sinks]) await sink.progress(s);
  };
  const swept = async (items: WorkItem[], results: SweepResult[]): Promise<void> => {
    const closed: bigint[] = [];
    const open: Array<[WorkItem, number[]]> = [];
    for (const [i, item] of items.entries()) {
      const r = results[i] ?? { open: [], slow: [] };
      if (r.slow.length > 0) o.log.debug(`${item.host}: no answer on ${r.slow.join(',')}`);
      if (r.open.length > 0) {
        open.push([item, r.open]);
        continue;
      }
      tracker.done(item.idx);
      closed.push(item.idx);
      progress.host(0, 0);
    }
    if (closed.length > 0) {
      await saveProgress();
      o.settled?.(closed, true);
    }
    // no more than --concurrency hosts probed at once, however many of a batch are open; once
    // stopped, an open host is left pending for --resume: nothing new is started
    for (const [item, ports] of open) if (await scheduler.probeSlot(() => stopped)) probeHost(item, ports);
  };
  const scheduler = new BatchScheduler({
    concurrency: a.concurrency,
    ...batchSizes(a.rate, a.ports.length, inFlight, threads),
    sweep: (jobs) => pool.sweep(jobs),
    swept,
    gaveUp: (items) =>
      o.settled?.(
        items.map((i) => i.idx),
        false,
      ),
    log: o.log,
    idleFlushMs: o.source !== undefined ? IDLE_FLUSH_MS : null,
  });

  try {
    for await (const item of o.source ?? workItems(plan, o.from)) {
      scheduler.arrived();
      if (o.shouldStop()) {
        stopped = true;
        break;
      }
      if (o.optOuts.has(item.host)) {
        // opted out: no packet, no record; counted only (saved with the step that passes it)
        tracker.optOut(item);
        progress.skip(1);
        o.settled?.([item.idx], true, true);
        continue;
      }
      await scheduler.room();
      tracker.enter(item);
      if (item.open === true) probeHost(item, item.ports);
      else scheduler.add(item);
    }
    if (!stopped) scheduler.flush();
  } catch (e) {
    // the source failed (a bad line on stdin): stop like SIGINT, clean up, then say why
    failure = e;
    stopped = true;
  } finally {
    scheduler.stopIdle();
  }
  // stopped or not, what is under way ends on its own timeouts and is saved (Ctrl-C again quits at once)
  await scheduler.drain();
  await saveProgress();
  await pool.close();
  await attributor.close();
  if (attributor.rdapQueries > 0) o.log.info(`RDAP: ${attributor.rdapQueries} queries`);
  progress.end();
  if (failure !== null) throw failure;
  // hosts that could not be finished (a sweep that failed again and again) keep the scan resumable
  const left = tracker.unfinishedCount;
  if (!stopped && left > 0) o.log.error(`${left} hosts could not be finished; the scan stays open for --resume`);
  return {
    status: stopped || left > 0 ? 'interrupted' : 'done',
    elapsedMs: Math.round(performance.now() - started),
    optedOut: tracker.optedOut,
  };
}

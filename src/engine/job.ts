/**
 * One scan's lifecycle over the store, the same for `opendoor scan` (new and --resume), the
 * dashboard's launcher, campaign rechecks and workers: a stored scan loaded with its arguments
 * checked and typed once (storedArgs.ts) and its plan built; then begun, resumed, or run a few
 * slices at a time — always with the store as the engine's primary sink, the opt-out list read as
 * the run starts, and the scan's clusters judged once every host is in.
 */
import { builtInAsRanges } from '../attribution/asnData.js';
import type { Cluster } from '../fingerprint/cluster.js';
import type { ScanSink } from '../output/sink.js';
import type { ScanRow, ScanState, Store } from '../store/store.js';
import { type AsRanges, NO_AS_DATA, type OptOutSet, canonicalScope, optOutSet } from '../targets/optout.js';
import { InputFileError, LineParser } from '../targets/inputFile.js';
import type { ResumeState, WorkItem } from '../types/work.js';
import type { Logger } from '../util/log.js';
import { judgeClusters, newPrintKey } from './clusters.js';
import { type Plan, type PlanArgs, buildPlan, resumedStreamItems, streamItems } from './plan.js';
import { type RunOptions, type RunResult, runScan } from './scan.js';
import { planArgsOf } from './storedArgs.js';

/** The store as the engine's primary sink: each host's records with the progress that counts it done, in one transaction. */
function storeSink(store: Store, scanId: string): ScanSink {
  return {
    host: (records, state, prints) =>
      store.recordHost(
        scanId,
        records,
        state,
        records[0] !== undefined ? { host: records[0].host, prints } : undefined,
      ),
    progress: (state) => store.saveProgress(scanId, state),
  };
}

/** The AS scopes this process last said it could not apply (a worker reads the list for every take: said once). */
let unappliedSaid = '';

/**
 * The opt-out list in force now. AS scopes apply through `asRanges` (AS number → its address
 * ranges), by default the built-in AS data's; an AS it does not know leaves nothing out, and the
 * run says so.
 */
export async function readOptOuts(store: Store, log: Logger, asRanges?: AsRanges): Promise<OptOutSet> {
  const scopes = (await store.optouts.list()).map((r) => canonicalScope(r.scope));
  // AS scopes through the built-in AS data, loaded only when the list has one
  const asns = scopes.flatMap((s) => (s.kind === 'asn' ? [s.asn] : []));
  const set = optOutSet(scopes, asRanges ?? (asns.length > 0 ? await builtInAsRanges(asns) : NO_AS_DATA));
  const unapplied = set.unapplied.join(', ');
  if (unapplied !== '' && unapplied !== unappliedSaid)
    log.warn(`opt-outs by AS number not applied (no AS data for them): ${unapplied}`);
  unappliedSaid = unapplied;
  return set;
}

/** What a run of a job is told beyond the scan itself (its other sinks, where it resumes from, when to stop). */
export type JobRunOptions = Omit<RunOptions, 'optOuts' | 'primary' | 'printKey'>;

/** Why a stored scan cannot be run: not in the store, or its arguments are not a plan (a merge, a damaged row). */
export type LoadFailure = 'missing' | 'not-a-plan';

export class ScanJob {
  private constructor(
    readonly store: Store,
    readonly id: string,
    readonly plan: Plan,
    /** The stored row (null for a scan not yet begun). */
    readonly row: ScanRow | null,
  ) {}

  get args(): PlanArgs {
    return this.plan.args;
  }

  /** When the scan started (ms since the epoch; now for one not yet begun): a worker's elapsed time counts from it. */
  get startedMs(): number {
    return this.row !== null ? Date.parse(this.row.started) : Date.now();
  }

  /** A new scan (not yet in the store: begin() puts it there). */
  static async create(store: Store, id: string, args: PlanArgs, log: Logger): Promise<ScanJob> {
    return new ScanJob(store, id, await buildPlan(args, log), null);
  }

  /** A stored scan, its arguments checked (a worker may run it at its own concurrency). */
  static async load(
    store: Store,
    id: string,
    log: Logger,
    over: { concurrency?: number } = {},
  ): Promise<ScanJob | LoadFailure> {
    const row = await store.scan(id);
    return row === null ? 'missing' : ScanJob.fromRow(store, row, log, over);
  }

  /** A stored scan as read (its status looked at first, say), its arguments checked. */
  static async fromRow(
    store: Store,
    row: ScanRow,
    log: Logger,
    over: { concurrency?: number } = {},
  ): Promise<ScanJob | 'not-a-plan'> {
    const args = planArgsOf(row.args);
    if (args === null) return 'not-a-plan';
    const plan = await buildPlan(
      over.concurrency !== undefined ? { ...args, concurrency: over.concurrency } : args,
      log,
    );
    return new ScanJob(store, row.id, plan, row);
  }

  /** The scan into the store, running unless told (queued: its work waits for a worker or its turn). */
  begin(status?: ScanState): Promise<void> {
    return this.store.beginScan(this.id, this.args, status);
  }

  /** Where the stored scan stood (--resume). */
  progress(): Promise<ResumeState> {
    return this.store.progress(this.id);
  }

  /**
   * A streamed scan's work (`-iL -`): new lines as they arrive, journaled; resumed, the items
   * stored, then the rest of any line cut short. Undefined for a scan over its planned space.
   */
  async source(
    from: ResumeState | null,
    lines: () => AsyncIterable<string>,
  ): Promise<AsyncIterable<WorkItem> | undefined> {
    if (this.args.stream !== true) return undefined;
    const parser = new LineParser('-');
    const journal = await this.store.journal(this.id);
    return from !== null
      ? resumedStreamItems(
          this.store.inputs(this.id, from),
          await this.store.inputLines(this.id),
          parser,
          this.args,
          journal,
        )
      : streamItems(lines(), parser, this.args, journal);
  }

  /**
   * The scan run to its end or its stop, the store the primary sink and the opt-out list read
   * now; then how it ended (done or interrupted) and its targets (those the opt-outs left out are
   * not targets) recorded, and, done, its clusters judged. A bad line on stdin leaves it
   * interrupted (resumable) and is thrown.
   */
  async run(o: JobRunOptions): Promise<RunResult & { clusters: Cluster[] }> {
    const { store, id, plan } = this;
    const r = await runScan(plan, {
      rdapCache: store.rdap,
      ...o,
      optOuts: await readOptOuts(store, o.log),
      printKey: await this.printKey(),
      primary: storeSink(store, id),
    }).catch(async (e: unknown) => {
      if (e instanceof InputFileError) await store.finishScan(id, 'interrupted', 0, 0);
      throw e;
    });
    const targets = plan.args.stream === true ? await store.inputCount(id) : Number(plan.total);
    await store.finishScan(id, r.status, targets - r.optedOut, r.elapsedMs);
    // every host is in: which of them answered alike (an interrupted scan is judged when it is resumed to its end)
    const clusters = r.status === 'done' ? await judgeClusters(store, id) : [];
    return { ...r, clusters };
  }

  /**
   * Part of the scan, as a worker runs it: the work from `source` (its slices), each host's
   * records into the store as they come (the slices' progress is the worker's to write), the
   * opt-out list as `optOuts` says at each host.
   */
  async runPart(
    source: AsyncIterable<WorkItem>,
    o: Pick<RunOptions, 'log' | 'shouldStop' | 'settled' | 'optOuts'> & { printKey: Buffer },
  ): Promise<RunResult> {
    const { store, id } = this;
    const primary: ScanSink = {
      host: async (records, _state, prints) => {
        const host = records[0]?.host;
        await store.recordHost(id, records, null, host !== undefined ? { host, prints } : undefined);
      },
      progress: async () => undefined, // closed hosts are counted when their slice is done
    };
    return runScan(this.plan, {
      ...o,
      primary,
      sinks: [],
      from: null,
      progress: false,
      source,
      rdapCache: store.rdap,
    });
  }

  /** The scan's print key, the same for every worker of it (clusters are judged over all its hosts). */
  async printKey(): Promise<Buffer> {
    return Buffer.from(await this.store.clusters.printKey(this.id, newPrintKey), 'base64url');
  }
}

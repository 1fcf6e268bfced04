/**
 * A scan plan: everything needed to enumerate the work again (for --resume), as plain data, and
 * the lazy, permuted, sharded sequence of work items it stands for.
 */
import { lookup } from 'node:dns/promises';
import { createHash } from 'node:crypto';
import type { Depth } from '../probes/types.js';
import type { InputEntry } from '../targets/entry.js';
import { TargetSet, TargetSpace, intervalOf, permutation, type Interval } from '../targets/space.js';
import { expand, parseTarget, type TargetSpec } from '../targets/spec.js';
import type { InputJournal, ResumeState, WorkItem } from '../types/work.js';
import type { Logger } from '../util/log.js';
import type { AttributionArgs } from '../attribution/attribute.js';

/** What `scans.args` stores: enough to rebuild the same work sequence and probe options. */
export interface PlanArgs {
  targets: Array<{ spec: string; ports: number[] | null }>;
  excludes: string[];
  ports: number[];
  depth: Depth;
  timeoutMs: number;
  /** The port sweep's connects; --timeout when absent (and in plans stored before it existed). */
  connectTimeoutMs?: number;
  /** --host-timeout: a cap on each host's time below the deadline computed from the other bounds. */
  hostTimeoutMs?: number;
  concurrency: number;
  rate: number;
  aeTitles: string[];
  maxQueries: number;
  countBudgetMs: number;
  shard: { k: number; n: number } | null;
  seed: string;
  /** Targets arrive on stdin (`-iL -`) and are probed as they arrive, in arrival order. */
  stream?: boolean;
  /** --asn-data, --contacts (their text), --rdap: how each service is attributed; absent in older plans (built-in data only). */
  attribution?: AttributionArgs;
}

export interface Plan {
  args: PlanArgs;
  space: TargetSpace;
  explicit: Array<{ host: string; ports: number[] }>;
  /** Work items in this shard. */
  total: bigint;
}

export function planArgsFrom(
  entries: InputEntry[],
  excludes: TargetSpec[],
  rest: Omit<PlanArgs, 'targets' | 'excludes' | 'seed' | 'stream'> & { seed?: string; stream?: boolean },
): PlanArgs {
  const targets = entries.map((e) => ({ spec: e.spec.text, ports: e.ports }));
  const seed = rest.seed ?? createHash('sha256').update(JSON.stringify(targets)).digest('hex').slice(0, 16);
  return { ...rest, targets, excludes: excludes.map((x) => x.text), seed };
}

async function resolve(name: string, timeoutMs: number, log: Logger): Promise<string[]> {
  try {
    const answer = await Promise.race([
      lookup(name, { all: true }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref()),
    ]);
    return [...new Set(answer.map((a) => a.address))];
  } catch {
    log.warn(`cannot resolve ${name}`);
    return [];
  }
}

export async function buildPlan(args: PlanArgs, log: Logger): Promise<Plan> {
  const excludes = args.excludes.map(parseTarget);
  const cuts = excludes.map(intervalOf).filter((x): x is Interval => x !== null);
  const excluded = new TargetSet(excludes);
  const blocks: Interval[] = [];
  const explicit = new Map<string, number[]>();
  for (const t of args.targets) {
    const spec = parseTarget(t.spec);
    if (spec.kind === 'host' && excluded.has(spec.name)) continue;
    const addresses =
      spec.kind === 'host' ? (await resolve(spec.name, args.timeoutMs, log)).map((a) => parseTarget(a)) : [spec];
    for (const a of addresses) {
      const iv = intervalOf(a);
      if (iv === null) continue;
      if (t.ports === null) blocks.push(iv);
      else if (!excluded.has(a.text)) explicit.set(a.text, [...new Set([...(explicit.get(a.text) ?? []), ...t.ports])]);
    }
  }
  const space = new TargetSpace(blocks, cuts);
  const list = [...explicit].map(([host, ports]) => ({ host, ports }));
  const n = space.size + BigInt(list.length);
  const shard = args.shard;
  const total =
    shard === null
      ? n
      : n > BigInt(shard.k - 1)
        ? (n - BigInt(shard.k - 1) + BigInt(shard.n) - 1n) / BigInt(shard.n)
        : 0n;
  return { args, space, explicit: list, total };
}

export interface LineSource {
  push(line: string): InputEntry[];
  end(): InputEntry[];
}

/** Entries → work items: expanded lazily, exclusions applied, each (host, ports) once (the journal dedupes). */
function expander(args: PlanArgs, journal: InputJournal): (entries: InputEntry[]) => AsyncGenerator<WorkItem> {
  const excludes = new TargetSet(args.excludes.map(parseTarget));
  return async function* (entries) {
    for (const e of entries) {
      if (e.spec.kind === 'host') continue; // names in a sweeper's output are not expected; addresses only
      for (const host of expand(e.spec)) {
        if (excludes.has(host)) continue;
        const ports = e.ports ?? args.ports;
        const open = e.ports !== null;
        const idx = await journal.addInput(host, ports, open);
        if (idx !== null) yield { idx, host, ports, open, next: idx + 1n };
      }
    }
  };
}

/**
 * Stdin lines → work items, as they arrive. Each line is journaled before it is expanded and
 * marked once all its items are stored, so a resume can finish a line (a CIDR, say) it was in
 * the middle of.
 */
export async function* streamItems(
  lines: AsyncIterable<string>,
  parser: LineSource,
  args: PlanArgs,
  journal: InputJournal,
): AsyncGenerator<WorkItem> {
  const items = expander(args, journal);
  for await (const line of lines) {
    const n = await journal.addLine(line);
    yield* items(parser.push(line));
    await journal.lineDone(n);
  }
  const n = await journal.addLine(null);
  yield* items(parser.end());
  await journal.lineDone(n);
}

/**
 * A streamed scan resumed: its stored items (the pending ones, then from the saved step), then the
 * rest of any line whose expansion was cut short (all lines replayed through a fresh parser, which
 * keeps its state, such as a zmap header; items already stored are skipped by the journal).
 */
export async function* resumedStreamItems(
  stored: AsyncIterable<WorkItem>,
  lines: ReadonlyArray<{ n: number; text: string | null; done: boolean }>,
  parser: LineSource,
  args: PlanArgs,
  journal: InputJournal,
): AsyncGenerator<WorkItem> {
  yield* stored;
  const first = lines.findIndex((l) => !l.done);
  if (first < 0) return;
  const items = expander(args, journal);
  for (const [i, l] of lines.entries()) {
    const entries = l.text === null ? parser.end() : parser.push(l.text);
    if (i < first) continue;
    yield* items(entries);
    await journal.lineDone(l.n);
  }
}

function itemAt(plan: Plan, idx: bigint): WorkItem | null {
  if (idx < plan.space.size) return { idx, host: plan.space.at(idx), ports: plan.args.ports };
  const e = plan.explicit[Number(idx - plan.space.size)];
  return e !== undefined ? { idx, host: e.host, ports: e.ports, open: true } : null;
}

/**
 * The work, lazily: a seeded full-cycle permutation of all indices, filtered to this shard; on
 * resume the pending items first, then the walk from where it stood.
 */
export function* workItems(plan: Plan, from: ResumeState | null = null): Generator<WorkItem> {
  for (const idx of from?.pending ?? []) {
    const item = itemAt(plan, idx);
    if (item !== null) yield item;
  }
  const n = plan.space.size + BigInt(plan.explicit.length);
  const shard = plan.args.shard;
  const cursor = { step: 0n };
  for (const idx of permutation(n, BigInt(`0x${plan.args.seed}`), from?.step ?? 0n, cursor)) {
    if (shard !== null && idx % BigInt(shard.n) !== BigInt(shard.k - 1)) continue;
    const item = itemAt(plan, idx);
    if (item !== null) yield { ...item, next: cursor.step };
  }
}

/** How many steps the plan's work sequence walks (the permutation's cycle, a power of two): slices cut it. */
export function planSteps(plan: Plan): bigint {
  const n = plan.space.size + BigInt(plan.explicit.length);
  if (n <= 1n) return n;
  let m = 2n;
  while (m < n) m <<= 1n;
  return m;
}

/** The work items at steps [from, to) of the plan's sequence: one slice of a queued scan. */
export function* sliceItems(plan: Plan, from: bigint, to: bigint): Generator<WorkItem> {
  for (const item of workItems(plan, { step: from, pending: [], hostsDone: 0, optedOut: 0 })) {
    if ((item.next ?? to + 1n) > to) return;
    yield item;
  }
}

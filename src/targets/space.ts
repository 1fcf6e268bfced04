/**
 * The scan's target space, never materialised: address blocks merged into disjoint intervals with
 * the exclusions cut out (so duplicates and excluded addresses cost nothing), indexed 0..size-1,
 * and visited in a random full-cycle order (an LCG over the next power of two, as zmap visits the
 * space through a cyclic group): one subnet is never hammered, and the order is reproducible
 * from its seed, which is what makes --shard and --resume exact.
 */
import { formatAddress, parseAddress, type Family } from './address.js';
import type { TargetSpec } from './spec.js';

export interface Interval {
  family: Family;
  first: bigint;
  last: bigint;
}

const order = (a: Interval, b: Interval): number =>
  a.family - b.family || (a.first < b.first ? -1 : a.first > b.first ? 1 : 0);

/** Sorted, disjoint, adjacent ones joined. */
export function mergeIntervals(list: Interval[]): Interval[] {
  const sorted = [...list].sort(order);
  const out: Interval[] = [];
  for (const iv of sorted) {
    const prev = out.at(-1);
    if (prev !== undefined && prev.family === iv.family && iv.first <= prev.last + 1n) {
      if (iv.last > prev.last) prev.last = iv.last;
    } else {
      out.push({ ...iv });
    }
  }
  return out;
}

/** Blocks minus cuts, both merged: one walk over the two sorted lists. */
function subtract(blocks: Interval[], cuts: Interval[]): Interval[] {
  const out: Interval[] = [];
  let c = 0;
  for (const b of blocks) {
    let first = b.first;
    // cuts wholly before this block are before every later block too
    for (
      let cut = cuts[c];
      cut !== undefined && (cut.family < b.family || (cut.family === b.family && cut.last < first));
      cut = cuts[++c]
    );
    for (let k = c; k < cuts.length; k++) {
      const cut = cuts[k] as Interval;
      if (cut.family !== b.family || cut.first > b.last) break;
      if (cut.last < first) continue;
      if (cut.first > first) out.push({ family: b.family, first, last: cut.first - 1n });
      first = cut.last + 1n;
      if (first > b.last) break;
    }
    if (first <= b.last) out.push({ family: b.family, first, last: b.last });
  }
  return out;
}

/** Whether one interval of a merged, sorted list holds all of first..last (binary search). */
export function covers(sorted: readonly Interval[], family: Family, first: bigint, last: bigint): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const iv = sorted[mid] as Interval;
    if (iv.family < family || (iv.family === family && iv.last < first)) lo = mid + 1;
    else if (iv.family > family || iv.first > last) hi = mid - 1;
    else return iv.first <= first && last <= iv.last;
  }
  return false;
}

/**
 * Membership in a list of targets (exclusions, a scan's scope) in O(log n) however long the list:
 * address blocks merged and binary-searched, host names in a set.
 */
export class TargetSet {
  private readonly blocks: Interval[];
  private readonly names = new Set<string>();

  constructor(specs: readonly TargetSpec[]) {
    const blocks: Interval[] = [];
    for (const s of specs) {
      if (s.kind === 'host') this.names.add(s.name);
      else blocks.push({ family: s.family, first: s.first, last: s.last });
    }
    this.blocks = mergeIntervals(blocks);
  }

  /** Some target is a name (whose addresses are only known once resolved). */
  get hasNames(): boolean {
    return this.names.size > 0;
  }

  has(host: string): boolean {
    if (this.names.has(host.toLowerCase())) return true;
    const a = parseAddress(host);
    return a !== null && covers(this.blocks, a.family, a.value, a.value);
  }
}

export function intervalOf(spec: TargetSpec): Interval | null {
  return spec.kind === 'block' ? { family: spec.family, first: spec.first, last: spec.last } : null;
}

export class TargetSpace {
  readonly intervals: Interval[];
  /** Cumulative sizes: offsets[i] is the index of intervals[i].first. */
  private readonly offsets: bigint[];
  readonly size: bigint;

  constructor(blocks: Interval[], excludes: Interval[]) {
    this.intervals = subtract(mergeIntervals(blocks), mergeIntervals(excludes));
    this.offsets = [];
    let total = 0n;
    for (const iv of this.intervals) {
      this.offsets.push(total);
      total += iv.last - iv.first + 1n;
    }
    this.size = total;
  }

  /** The address at an index (binary search over the intervals). */
  at(index: bigint): string {
    let lo = 0;
    let hi = this.intervals.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.offsets[mid] as bigint) <= index) lo = mid;
      else hi = mid - 1;
    }
    const iv = this.intervals[lo] as Interval;
    return formatAddress({ family: iv.family, value: iv.first + (index - (this.offsets[lo] as bigint)) });
  }
}

/**
 * Every index of 0..n-1 exactly once, in a seeded pseudo-random order: x → (a·x + c) mod 2^k has
 * full period when c is odd and a ≡ 1 (mod 4) (Hull–Dobell); values ≥ n are skipped (at most half).
 * `from` starts at that step of the walk (a resumed scan jumps there in O(k) multiplications);
 * `cursor.step` is, after each value, the step to resume from to continue right after it.
 */
export function* permutation(
  n: bigint,
  seed: bigint,
  from = 0n,
  cursor: { step: bigint } = { step: 0n },
): Generator<bigint> {
  cursor.step = from;
  if (n <= 0n) return;
  if (n === 1n) {
    if (from > 0n) return;
    cursor.step = 1n;
    yield 0n;
    return;
  }
  let bits = 1n;
  while (1n << bits < n) bits++;
  const m = 1n << bits;
  const mask = m - 1n;
  const mix = (seed * 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
  const a = (mix & mask & ~3n) | 1n; // ≡ 1 (mod 4)
  const c = (((mix >> 7n) | 1n) & mask) | 1n; // odd
  let x = (mix >> 13n) & mask;
  // x ← f^from(x): square the affine map a·x + c (all its powers commute)
  let pa = a;
  let pc = c;
  for (let e = from; e > 0n; e >>= 1n) {
    if ((e & 1n) === 1n) x = (pa * x + pc) & mask;
    pc = (pa * pc + pc) & mask;
    pa = (pa * pa) & mask;
  }
  for (let i = from; i < m; i++) {
    x = (a * x + c) & mask;
    cursor.step = i + 1n;
    if (x < n) yield x;
  }
}

/** Parse `K/N` (1 ≤ K ≤ N): this machine's part of a deterministic N-way partition. */
export function parseShard(text: string): { k: number; n: number } | null {
  const m = /^(\d{1,6})\/(\d{1,6})$/.exec(text);
  if (m === null) return null;
  const k = Number(m[1]);
  const n = Number(m[2]);
  return k >= 1 && n >= 1 && k <= n ? { k, n } : null;
}

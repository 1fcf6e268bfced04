/**
 * A whole `-iL` file as the fewest entries, read without a copy per line: addresses and blocks
 * without ports merged into ranges as they come (a list of a million adjacent addresses is one
 * range), each host a sweeper reported ports for kept once with the union of its ports, names once.
 * A host both listed plainly and reported with ports is swept with the plain list's ports.
 */
import { bits, formatAddress } from './address.js';
import type { InputEntry } from './entry.js';
import { covers, mergeIntervals, type Interval } from './space.js';

/** Unmerged IPv6 blocks held before they are merged into the rest. */
const MERGE_EVERY = 65536;

/**
 * IPv4 blocks packed as first·2^32 + last, 8 bytes each, sorted natively; merged in place whenever
 * the array is full, so a list of adjacent addresses never grows it.
 */
class V4Blocks {
  private buf = new BigUint64Array(1 << 16);
  private n = 0;

  add(first: bigint, last: bigint): void {
    if (this.n === this.buf.length) {
      this.mergeInPlace();
      if (this.n > this.buf.length / 2) {
        const bigger = new BigUint64Array(this.buf.length * 2);
        bigger.set(this.buf.subarray(0, this.n));
        this.buf = bigger;
      }
    }
    this.buf[this.n++] = (first << 32n) | last;
  }

  private mergeInPlace(): void {
    const sorted = this.buf.subarray(0, this.n).sort();
    let w = -1;
    let last = -1n;
    for (const x of sorted) {
      const a = x >> 32n;
      const b = x & 0xffffffffn;
      if (w >= 0 && a <= last + 1n) {
        if (b > last) last = b;
        this.buf[w] = ((this.buf[w] as bigint) & ~0xffffffffn) | last;
      } else {
        this.buf[++w] = x;
        last = b;
      }
    }
    this.n = w + 1;
  }

  intervals(): Interval[] {
    this.mergeInPlace();
    return Array.from(this.buf.subarray(0, this.n), (x) => ({
      family: 4 as const,
      first: x >> 32n,
      last: x & 0xffffffffn,
    }));
  }
}

/** An interval as a person would write it: an address, a CIDR block, or a range. */
function textOf(iv: Interval): string {
  const at = (value: bigint) => formatAddress({ family: iv.family, value });
  if (iv.first === iv.last) return at(iv.first);
  const size = iv.last - iv.first + 1n;
  if ((size & (size - 1n)) === 0n && iv.first % size === 0n)
    return `${at(iv.first)}/${bits(iv.family) - (size.toString(2).length - 1)}`;
  return `${at(iv.first)}-${at(iv.last)}`;
}

export function compactEntries(entries: Iterable<InputEntry>): InputEntry[] {
  const v4 = new V4Blocks();
  let v6: Interval[] = [];
  let v6Limit = MERGE_EVERY;
  const names = new Map<string, InputEntry>();
  const withPorts = new Map<string, InputEntry>();
  for (const e of entries) {
    const spec = e.spec;
    if (e.ports !== null) {
      const seen = withPorts.get(spec.text);
      if (seen === undefined) withPorts.set(spec.text, { spec, ports: [...new Set(e.ports)] });
      else seen.ports = [...new Set([...(seen.ports ?? []), ...e.ports])];
    } else if (spec.kind === 'host') {
      names.set(spec.name, e);
    } else if (spec.family === 4) {
      v4.add(spec.first, spec.last);
    } else {
      v6.push({ family: 6, first: spec.first, last: spec.last });
      if (v6.length >= v6Limit) {
        v6 = mergeIntervals(v6);
        v6Limit = Math.max(MERGE_EVERY, 2 * v6.length);
      }
    }
  }
  const blocks = [...v4.intervals(), ...mergeIntervals(v6)];
  const out: InputEntry[] = blocks.map((iv) => ({
    spec: { kind: 'block', family: iv.family, first: iv.first, last: iv.last, text: textOf(iv) },
    ports: null,
  }));
  for (const e of names.values()) out.push(e);
  for (const e of withPorts.values())
    if (e.spec.kind === 'host' || !covers(blocks, e.spec.family, e.spec.first, e.spec.last)) out.push(e);
  return out;
}

/**
 * A whole `-iL` file as the fewest entries, read without a copy per line: addresses and blocks
 * without ports merged into ranges as they come (a list of a million adjacent addresses is one
 * range), each host a sweeper reported ports for kept once with the union of its ports, names once.
 * A host both listed plainly and reported with ports is swept with the plain list's ports.
 */
import { formatAddress } from './address.js';
import type { InputEntry } from './inputFile.js';
import { mergeIntervals, type Interval } from './space.js';
import type { TargetSpec } from './spec.js';

/** Unmerged blocks held before they are merged into the rest. */
const MERGE_EVERY = 65536;

function covers(sorted: Interval[], spec: TargetSpec): boolean {
  if (spec.kind !== 'block') return false;
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const iv = sorted[mid] as Interval;
    if (iv.family < spec.family || (iv.family === spec.family && iv.last < spec.first)) lo = mid + 1;
    else if (iv.family > spec.family || iv.first > spec.last) hi = mid - 1;
    else return iv.first <= spec.first && spec.last <= iv.last;
  }
  return false;
}

export function compactEntries(entries: Iterable<InputEntry>): InputEntry[] {
  let blocks: Interval[] = [];
  let fresh: Interval[] = [];
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
    } else {
      fresh.push({ family: spec.family, first: spec.first, last: spec.last, text: spec.text });
      if (fresh.length >= Math.max(MERGE_EVERY, blocks.length)) {
        blocks = mergeIntervals(blocks.concat(fresh));
        fresh = [];
      }
    }
  }
  blocks = mergeIntervals(blocks.concat(fresh));
  const out: InputEntry[] = blocks.map((iv) => {
    const text = iv.text ?? (iv.first === iv.last ? formatAddress({ family: iv.family, value: iv.first }) : `${formatAddress({ family: iv.family, value: iv.first })}-${formatAddress({ family: iv.family, value: iv.last })}`);
    return { spec: { kind: 'block', family: iv.family, first: iv.first, last: iv.last, text }, ports: null };
  });
  for (const e of names.values()) out.push(e);
  for (const e of withPorts.values()) if (!covers(blocks, e.spec)) out.push(e);
  return out;
}

/**
 * Address → autonomous system, offline: ranges in the layout of @ip-location-db/asn
 * (`first,last,asn,organisation`, inclusive ranges) held as sorted typed arrays (numbers, not a
 * string per row) and found by binary search. The built-in tables (the package's -num CSVs, about
 * 33 MB) load on the first public address of their family, parsed in chunks that yield to the
 * event loop; a user's file (--asn-data) is read whole and searched first.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { type Address, type Family, bits, formatAddress, parseAddress } from '../targets/address.js';
import { TargetSyntaxError, parseTarget } from '../targets/spec.js';
import { InputError } from '../util/errors.js';

import type { Interval } from '../targets/space.js';

export class AsnDataError extends InputError {
  override readonly name = 'AsnDataError';
}

export interface AsnHit {
  asn: number;
  asName: string | null;
  /** The range as CIDR when it is one, else `first-last`. */
  prefix: string;
}

const MASK64 = (1n << 64n) - 1n;

/** One family's ranges, sorted by first address; v4 in 32-bit words, v6 in two 64-bit halves. */
class FamilyTable {
  private constructor(
    readonly family: Family,
    private readonly first: Uint32Array | BigUint64Array,
    private readonly last: Uint32Array | BigUint64Array,
    private readonly asn: Uint32Array,
    private readonly name: Uint32Array,
    private readonly names: readonly string[],
    /** Some range lies inside another (a user's file): a miss looks at every row. */
    private readonly nested: boolean,
  ) {}

  static build(family: Family, rows: Rows): FamilyTable {
    const n = rows.asn.length;
    const order = Array.from({ length: n }, (_, i) => i);
    const key = (i: number): bigint => rows.first[i] ?? 0n;
    let sorted = true;
    for (let i = 1; i < n && sorted; i++) if (key(i - 1) > key(i)) sorted = false;
    if (!sorted) order.sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
    const width = family === 4 ? 1 : 2;
    const first = family === 4 ? new Uint32Array(n) : new BigUint64Array(2 * n);
    const last = family === 4 ? new Uint32Array(n) : new BigUint64Array(2 * n);
    const asn = new Uint32Array(n);
    const name = new Uint32Array(n);
    let nested = false;
    let maxLast = -1n;
    order.forEach((src, i) => {
      const f = rows.first[src] ?? 0n;
      const l = rows.last[src] ?? 0n;
      if (f <= maxLast) nested = true;
      if (l > maxLast) maxLast = l;
      put(first, i * width, f, family);
      put(last, i * width, l, family);
      asn[i] = rows.asn[src] ?? 0;
      name[i] = rows.name[src] ?? 0;
    });
    return new FamilyTable(family, first, last, asn, name, rows.names, nested);
  }

  /** Ranges already sorted and disjoint (the built-in data). */
  static of(
    family: Family,
    first: Uint32Array | BigUint64Array,
    last: Uint32Array | BigUint64Array,
    asn: Uint32Array,
    name: Uint32Array,
    names: readonly string[],
  ): FamilyTable {
    return new FamilyTable(family, first, last, asn, name, names, false);
  }

  get size(): number {
    return this.asn.length;
  }

  private at(arr: Uint32Array | BigUint64Array, i: number): bigint {
    if (arr instanceof Uint32Array) return BigInt(arr[i] ?? 0);
    return ((arr[2 * i] ?? 0n) << 64n) | (arr[2 * i + 1] ?? 0n);
  }

  private hit(i: number): AsnHit {
    const idx = this.name[i] ?? 0;
    const first = this.at(this.first, i);
    const last = this.at(this.last, i);
    return {
      asn: this.asn[i] ?? 0,
      asName: idx === 0 ? null : (this.names[idx] ?? null),
      prefix: rangeText(this.family, first, last),
    };
  }

  /** Every range this AS announces here (a linear pass: asked once per AS opt-out per run). */
  rangesOf(asn: number): Interval[] {
    const out: Interval[] = [];
    for (let i = 0; i < this.size; i++)
      if (this.asn[i] === asn)
        out.push({ family: this.family, first: this.at(this.first, i), last: this.at(this.last, i) });
    return out;
  }

  lookup(v: bigint): AsnHit | null {
    // the last row whose first address is at or below v
    let lo = 0;
    let hi = this.size - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(this.first, mid) <= v) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found >= 0 && this.at(this.last, found) >= v) return this.hit(found);
    if (!this.nested) return null;
    // nested ranges (a user's file): the smallest that covers v
    let best = -1;
    for (let i = 0; i <= found; i++) {
      if (this.at(this.last, i) < v) continue;
      if (
        best < 0 ||
        this.at(this.last, i) - this.at(this.first, i) < this.at(this.last, best) - this.at(this.first, best)
      )
        best = i;
    }
    return best < 0 ? null : this.hit(best);
  }
}

function put(arr: Uint32Array | BigUint64Array, at: number, v: bigint, family: Family): void {
  if (family === 4) (arr as Uint32Array)[at] = Number(v);
  else {
    (arr as BigUint64Array)[at] = v >> 64n;
    (arr as BigUint64Array)[at + 1] = v & MASK64;
  }
}

/** A range as CIDR when it is exactly one, else `first-last`. */
export function rangeText(family: Family, first: bigint, last: bigint): string {
  const size = last - first + 1n;
  const len = size.toString(2).length - 1;
  if (size === 1n << BigInt(len) && first % size === 0n)
    return `${formatAddress({ family, value: first })}/${bits(family) - len}`;
  return `${formatAddress({ family, value: first })}-${formatAddress({ family, value: last })}`;
}

/** Rows as parsed, before they are packed; name index 0 is "no name". */
interface Rows {
  first: bigint[];
  last: bigint[];
  asn: number[];
  name: number[];
  names: string[];
  index: Map<string, number>;
}

const newRows = (): Rows => ({ first: [], last: [], asn: [], name: [], names: [''], index: new Map() });

function nameIndex(rows: Rows, name: string): number {
  if (name === '') return 0;
  let i = rows.index.get(name);
  if (i === undefined) {
    i = rows.names.length;
    rows.names.push(name);
    rows.index.set(name, i);
  }
  return i;
}

/** The four fields of one CSV line (the organisation may be quoted, with "" for a quote), or null. */
export function csvFields(line: string): [string, string, string, string] | null {
  const a = line.indexOf(',');
  const b = a < 0 ? -1 : line.indexOf(',', a + 1);
  const c = b < 0 ? -1 : line.indexOf(',', b + 1);
  if (c < 0) return null;
  let org = line.slice(c + 1).trim();
  if (org.startsWith('"')) {
    if (!org.endsWith('"') || org.length < 2) return null;
    org = org.slice(1, -1).replace(/""/g, '"');
  }
  return [line.slice(0, a).trim(), line.slice(a + 1, b).trim(), line.slice(b + 1, c).trim(), org];
}

const ASN_FIELD = /^(?:AS)?(\d{1,10})$/i;

/** A user's file: addresses (or a CIDR or range in `first`, `last` empty), either family, any order. */
export function parseAsnCsv(file: string, text: string): AsnTable {
  const rows: Record<Family, Rows> = { 4: newRows(), 6: newRows() };
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${file}:${i + 1}`;
    const f = csvFields(line);
    if (f === null) throw new AsnDataError(`${where}: expected "first,last,asn,organisation"`);
    const [first, last, asnText, org] = f;
    if (i === 0 && /^[a-z_ ]+$/i.test(first) && parseAddress(first) === null) return; // a header
    let range: { family: Family; first: bigint; last: bigint };
    try {
      range = rangeOf(first, last);
    } catch (e) {
      if (e instanceof TargetSyntaxError) throw new AsnDataError(`${where}: ${e.message}`);
      throw e;
    }
    const m = ASN_FIELD.exec(asnText);
    if (m === null || Number(m[1]) > 0xffffffff) throw new AsnDataError(`${where}: "${asnText}" is not an AS number`);
    const r = rows[range.family];
    r.first.push(range.first);
    r.last.push(range.last);
    r.asn.push(Number(m[1]));
    r.name.push(nameIndex(r, org));
  });
  return new AsnTable(FamilyTable.build(4, rows[4]), FamilyTable.build(6, rows[6]));
}

function rangeOf(first: string, last: string): { family: Family; first: bigint; last: bigint } {
  if (last === '') {
    const spec = parseTarget(first);
    if (spec.kind === 'host') throw new TargetSyntaxError(`"${first}" is not an address, CIDR or range`);
    return { family: spec.family, first: spec.first, last: spec.last };
  }
  const a = parseAddress(first);
  const b = parseAddress(last);
  if (a === null) throw new TargetSyntaxError(`"${first}" is not an address`);
  if (b === null) throw new TargetSyntaxError(`"${last}" is not an address`);
  if (a.family !== b.family) throw new TargetSyntaxError(`"${first}" and "${last}" are of different families`);
  if (a.value > b.value) throw new TargetSyntaxError(`"${first}" is after "${last}"`);
  return { family: a.family, first: a.value, last: b.value };
}

/** Both families' tables: what a user's file or a built-in CSV becomes. */
export class AsnTable {
  constructor(
    private readonly v4: FamilyTable,
    private readonly v6: FamilyTable,
  ) {}

  get size(): number {
    return this.v4.size + this.v6.size;
  }

  lookup(a: Address): AsnHit | null {
    return (a.family === 4 ? this.v4 : this.v6).lookup(a.value);
  }
}

/** Rows parsed between two yields to the event loop while a built-in table loads. */
const CHUNK = 4096;

/** A built-in -num CSV (bytes): numeric ranges, already sorted; parsed in chunks so other hosts go on meanwhile. */
export async function parseNumericCsv(family: Family, buf: Buffer): Promise<FamilyTable> {
  const width = family === 4 ? 1 : 2;
  let cap = 1 << 16;
  let first: Uint32Array | BigUint64Array = family === 4 ? new Uint32Array(cap) : new BigUint64Array(2 * cap);
  let last: Uint32Array | BigUint64Array = family === 4 ? new Uint32Array(cap) : new BigUint64Array(2 * cap);
  let asn = new Uint32Array(cap);
  let name = new Uint32Array(cap);
  const names = newRows();
  const COMMA = 0x2c;
  let at = 0;
  let n = 0;
  while (at < buf.length) {
    let end = buf.indexOf(0x0a, at);
    if (end < 0) end = buf.length;
    const a = buf.indexOf(COMMA, at);
    const b = a < 0 || a > end ? -1 : buf.indexOf(COMMA, a + 1);
    const c = b < 0 || b > end ? -1 : buf.indexOf(COMMA, b + 1);
    const line = at;
    at = end + 1;
    if (c < 0 || c > end) continue;
    if (n === cap) {
      cap *= 2;
      first = grow(first, cap * width);
      last = grow(last, cap * width);
      asn = grow(asn, cap);
      name = grow(name, cap);
    }
    if (family === 4) {
      (first as Uint32Array)[n] = digits(buf, line, a);
      (last as Uint32Array)[n] = digits(buf, a + 1, b);
    } else {
      put(first, 2 * n, BigInt(buf.toString('latin1', line, a)), 6);
      put(last, 2 * n, BigInt(buf.toString('latin1', a + 1, b)), 6);
    }
    asn[n] = digits(buf, b + 1, c);
    let org = buf.toString('utf8', c + 1, end > c + 1 && buf[end - 1] === 0x0d ? end - 1 : end);
    if (org.startsWith('"') && org.endsWith('"') && org.length >= 2) org = org.slice(1, -1).replace(/""/g, '"');
    name[n] = nameIndex(names, org);
    if (++n % CHUNK === 0) await new Promise<void>((r) => setImmediate(r));
  }
  return FamilyTable.of(
    family,
    first.slice(0, n * width),
    last.slice(0, n * width),
    asn.slice(0, n),
    name.slice(0, n),
    names.names,
  );
}

/** A decimal number of up to 2^32 - 1 written in bytes [from, to). */
function digits(buf: Buffer, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) v = v * 10 + ((buf[i] ?? 0x30) - 0x30);
  return v;
}

function grow<T extends Uint32Array | BigUint64Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a as never);
  return b;
}

const builtIn: Partial<Record<Family, Promise<FamilyTable | null>>> = {};

/** The families whose built-in table has been asked for (a scan of private addresses asks for none). */
export function builtInLoaded(): Family[] {
  return ([4, 6] as const).filter((f) => builtIn[f] !== undefined);
}

/** Where the built-in CSV of a family is (the installed @ip-location-db/asn package), or null. */
export function builtInFile(family: Family): string | null {
  try {
    return createRequire(import.meta.url).resolve(`@ip-location-db/asn/asn-ipv${family}-num.csv`);
  } catch {
    return null;
  }
}

/** The built-in table of a family, loaded once on first use; null when the package is missing. */
export function builtInTable(family: Family): Promise<FamilyTable | null> {
  const known = builtIn[family];
  if (known !== undefined) return known;
  const file = builtInFile(family);
  const p =
    file === null
      ? Promise.resolve(null)
      : readFile(file).then(
          (text) => parseNumericCsv(family, text),
          () => null,
        );
  builtIn[family] = p;
  return p;
}

/**
 * What the opt-out list's AS scopes cover, from the built-in data (both families, loaded only when
 * an AS is asked for): AS number → its address ranges, empty when the data knows none.
 */
export async function builtInAsRanges(asns: readonly number[]): Promise<(asn: number) => readonly Interval[]> {
  if (asns.length === 0) return () => [];
  const tables = (await Promise.all([builtInTable(4), builtInTable(6)])).filter((t) => t !== null);
  const ranges = new Map(asns.map((asn) => [asn, tables.flatMap((t) => t.rangesOf(asn))]));
  return (asn) => ranges.get(asn) ?? [];
}

export type { FamilyTable };

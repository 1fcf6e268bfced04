/**
 * What a page shows as records, whatever its layout: the rows of its tables, its definition lists
 * (one card a record), its repeated sibling elements (div grids, list items), and the arrays of
 * objects in its JSON (an API's answer, or the state a script carries inline). And where a person
 * would click next: links, frames, forms sent by GET with nothing required, the JSON endpoints its
 * scripts name. Only the shape is read here; what the records are is listColumns.ts's question.
 */
import { PHI_TAGS } from '../phi.js';
import { type El, elementKids, findAll, INLINE, textOf } from './pageTree.js';

export interface Cell {
  text: string;
  /** What the markup says the cell is: a class name, or the label before a colon. */
  hint: string | null;
  hrefs: string[];
}

export interface RecordSet {
  /** Column names where the layout gives them (JSON keys, definition terms, labels), else null. */
  headers: Array<string | null> | null;
  /** A table's first row: 'th' when it is header cells, 'maybe' when it may be a header row. */
  firstRow: 'th' | 'maybe' | 'data';
  rows: Cell[][];
}

const MAX_SETS = 200;
const MAX_ROWS = 50_000;
const MAX_WIDTH = 40;

function hrefsOf(el: El, out: string[] = []): string[] {
  for (const k of el.kids) {
    if (typeof k === 'string') continue;
    const href = k.tag === 'a' ? k.attrs['href'] : undefined;
    if (href !== undefined) out.push(href);
    if (k.kids.length > 0) hrefsOf(k, out);
  }
  return out;
}

function cellOf(el: El, hint: string | null = null): Cell {
  const text = textOf(el);
  const labelled = /^([^:]{1,30}):\s+(\S.*)$/.exec(text);
  if (labelled !== null && hint === null)
    return {
      text: labelled[2] as string,
      hint: labelled[1] as string,
      hrefs: el.tag === 'a' ? [el.attrs['href'] ?? ''] : hrefsOf(el),
    };
  return { text, hint, hrefs: el.tag === 'a' && el.attrs['href'] !== undefined ? [el.attrs['href']] : hrefsOf(el) };
}

/** A table's rows (not those of tables nested in it) as cells. */
function tableSet(table: El): RecordSet | null {
  const rows: El[] = [];
  const walk = (e: El) => {
    for (const k of elementKids(e)) {
      if (k.tag === 'tr') rows.push(k);
      else if (k.tag === 'thead' || k.tag === 'tbody' || k.tag === 'tfoot' || k.tag === 'form') walk(k);
    }
  };
  walk(table);
  if (rows.length < 2) return null;
  const cells = rows.slice(0, MAX_ROWS).map((tr) => elementKids(tr).filter((c) => c.tag === 'td' || c.tag === 'th'));
  const first = cells[0] ?? [];
  return {
    headers: null,
    firstRow: first.length > 0 && first.every((c) => c.tag === 'th') ? 'th' : 'maybe',
    rows: cells.map((r) => r.slice(0, MAX_WIDTH).map((c) => cellOf(c, ''))),
  };
}

/** Records of one definition list: term → description, a new record where a term comes again. */
function dlRecords(dl: El): Array<Map<string, Cell>> {
  const out: Array<Map<string, Cell>> = [];
  let rec = new Map<string, Cell>();
  let term: string | null = null;
  const items = elementKids(dl).flatMap((k) => (k.tag === 'div' ? elementKids(k) : [k]));
  for (const k of items) {
    if (k.tag === 'dt') {
      term = textOf(k);
      if (rec.has(term)) {
        out.push(rec);
        rec = new Map();
      }
    } else if (k.tag === 'dd' && term !== null) rec.set(term, cellOf(k, term));
  }
  if (rec.size > 0) out.push(rec);
  return out;
}

/** Records keyed by name, grouped by their set of names: one record set per shape. */
function keyedSets(records: Array<Map<string, Cell>>): RecordSet[] {
  const groups = new Map<string, Array<Map<string, Cell>>>();
  for (const r of records) {
    const sig = [...r.keys()].sort().join('\u0000');
    const g = groups.get(sig);
    if (g === undefined) groups.set(sig, [r]);
    else g.push(r);
  }
  const out: RecordSet[] = [];
  for (const g of groups.values()) {
    const keys = [...(g[0]?.keys() ?? [])].slice(0, MAX_WIDTH);
    out.push({
      headers: keys,
      firstRow: 'data',
      rows: g.slice(0, MAX_ROWS).map((r) => keys.map((k) => r.get(k) ?? { text: '', hint: k, hrefs: [] })),
    });
  }
  return out;
}

/** The innermost elements that hold text: a record's cells. */
function leaves(el: El, out: Cell[] = []): Cell[] {
  if (out.length > MAX_WIDTH) return out;
  const kids = elementKids(el).filter((k) => k.tag !== 'script' && k.tag !== 'style' && k.tag !== 'br');
  const ownText = el.kids.some((k) => typeof k === 'string' && k.trim() !== '');
  if (kids.length === 0 || (ownText && kids.every((k) => INLINE.has(k.tag)))) {
    const c = cellOf(el, null);
    if (c.text !== '' || c.hrefs.length > 0) out.push(c.hint === null ? { ...c, hint: el.attrs['class'] ?? null } : c);
    return out;
  }
  // a list or table inside a record is a record set of its own, not cells of this one
  for (const k of kids) if (!NOT_GRID.has(k.tag)) leaves(k, out);
  return out;
}

const NOT_GRID = new Set(['table', 'thead', 'tbody', 'tfoot', 'tr', 'dl', 'select', 'head', 'script', 'style']);

/** Repeated siblings (same tag and class) with two cells or more each: a grid of records. */
function gridSets(root: El): RecordSet[] {
  const out: RecordSet[] = [];
  for (const parent of findAll(root, (e) => !NOT_GRID.has(e.tag) && e.kids.length >= 2)) {
    const groups = new Map<string, El[]>();
    for (const k of elementKids(parent)) {
      if (NOT_GRID.has(k.tag) || INLINE.has(k.tag)) continue;
      const sig = `${k.tag}.${k.attrs['class'] ?? ''}`;
      const g = groups.get(sig);
      if (g === undefined) groups.set(sig, [k]);
      else g.push(k);
    }
    for (const members of groups.values()) {
      if (members.length < 2) continue;
      const recs = members.slice(0, MAX_ROWS).map((m) => leaves(m));
      if (recs.filter((r) => r.length >= 2 && r.length <= MAX_WIDTH).length < 2) continue;
      // a row of labels just before the group, with as many cells: its header row
      const before = elementKids(parent)[elementKids(parent).indexOf(members[0] as El) - 1];
      const head = before !== undefined ? leaves(before) : [];
      const width = Math.max(...recs.map((r) => r.length));
      const hinted = recs.every((r) => r.every((c) => c.hint !== null && c.hint !== ''));
      if (hinted) {
        out.push(...keyedSets(recs.map((r) => new Map(r.map((c) => [c.hint as string, c])))));
        continue;
      }
      out.push({
        headers: head.length === width ? head.map((c) => c.text) : null,
        firstRow: 'data',
        rows: recs.map((r) => Array.from({ length: width }, (_, i) => r[i] ?? { text: '', hint: null, hrefs: [] })),
      });
    }
    if (out.length >= MAX_SETS) break;
  }
  return out;
}

const TAG_NAMES = new Map<string, string>([
  ...[...PHI_TAGS].map(([k, t]) => [t, k] as [string, string]),
  ['0020000D', 'StudyInstanceUID'],
  ['00080020', 'StudyDate'],
  ['00080060', 'Modality'],
  ['00080061', 'ModalitiesInStudy'],
]);

/** A JSON value as cell text: DICOM JSON ({vr, Value}) read as its first value. */
function jsonText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && 'vr' in v) {
    const first = (v as { Value?: unknown[] }).Value?.[0];
    if (typeof first === 'object' && first !== null && 'Alphabetic' in first)
      return jsonText((first as { Alphabetic: unknown }).Alphabetic);
    return jsonText(first);
  }
  return null;
}

/** An object as named cells: nested plain objects flattened one level (Orthanc's MainDicomTags). */
function jsonRecord(o: Record<string, unknown>, depth = 0): Map<string, Cell> {
  const rec = new Map<string, Cell>();
  for (const [k, v] of Object.entries(o)) {
    const name = /^[0-9A-F]{8}$/i.test(k) ? (TAG_NAMES.get(k.toUpperCase()) ?? k) : k;
    const t = jsonText(v);
    if (t !== null) rec.set(name, { text: t, hint: name, hrefs: [] });
    else if (depth === 0 && typeof v === 'object' && v !== null && !Array.isArray(v))
      for (const [k2, c] of jsonRecord(v as Record<string, unknown>, 1)) if (!rec.has(k2)) rec.set(k2, c);
  }
  return rec;
}

const plain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every array of objects in a JSON value (and every map of objects keyed by id), as record sets. */
export function jsonSets(value: unknown): RecordSet[] {
  const lists: Array<Record<string, unknown>[]> = [];
  const walk = (v: unknown, depth: number) => {
    if (depth > 8 || lists.length >= MAX_SETS) return;
    if (Array.isArray(v)) {
      const objs = v.filter(plain);
      if (objs.length > 0) lists.push(objs);
      for (const x of v.slice(0, MAX_ROWS)) walk(x, depth + 1);
    } else if (plain(v)) {
      const vals = Object.values(v);
      if (vals.length >= 2 && vals.every(plain)) lists.push(vals as Record<string, unknown>[]);
      for (const x of vals) walk(x, depth + 1);
    }
  };
  walk(value, 0);
  return lists.flatMap((l) => keyedUnion(l.slice(0, MAX_ROWS).map((o) => jsonRecord(o))));
}

/** Records of one list, aligned on the union of their names (objects of one list vary in keys). */
function keyedUnion(records: Array<Map<string, Cell>>): RecordSet[] {
  const keys: string[] = [];
  for (const r of records) for (const k of r.keys()) if (!keys.includes(k) && keys.length < MAX_WIDTH) keys.push(k);
  if (keys.length === 0) return [];
  return [
    {
      headers: keys,
      firstRow: 'data',
      rows: records.map((r) => keys.map((k) => r.get(k) ?? { text: '', hint: k, hrefs: [] })),
    },
  ];
}

/** The records of an HTML page, in every layout this reads. */
export function htmlSets(root: El): RecordSet[] {
  const sets: RecordSet[] = [];
  for (const t of findAll(root, (e) => e.tag === 'table')) {
    const s = tableSet(t);
    if (s !== null) sets.push(s);
  }
  sets.push(...keyedSets(findAll(root, (e) => e.tag === 'dl').flatMap(dlRecords)));
  sets.push(...gridSets(root));
  return sets.slice(0, MAX_SETS);
}

/** Where the bracket opened at `i` closes (strings skipped), or -1. */
function balancedEnd(s: string, i: number): number {
  let depth = 0;
  let quote: string | null = null;
  for (let j = i; j < s.length; j++) {
    const c = s[j];
    if (quote !== null) {
      if (c === '\\') j++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return j + 1;
    }
  }
  return -1;
}

/** JSON, or a script's object literal written like JSON with bare keys and single quotes. */
function literal(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    try {
      const relaxed = text
        .replace(/'((?:[^'\\\n]|\\.)*)'/g, (_m, s: string) => JSON.stringify(s.replace(/\\'/g, "'")))
        .replace(/([{,]\s*)([A-Za-z_$][\w$]*)\s*:/g, '$1"$2":')
        .replace(/,(\s*[}\]])/g, '$1');
      return JSON.parse(relaxed) as unknown;
    } catch {
      return undefined;
    }
  }
}

const MAX_LITERALS = 20;

/** Data a page carries for its scripts to show: JSON script blocks and object literals assigned in scripts. */
export function scriptSets(root: El): RecordSet[] {
  const out: RecordSet[] = [];
  for (const s of findAll(root, (e) => e.tag === 'script' && e.attrs['src'] === undefined)) {
    const code = s.kids.filter((k): k is string => typeof k === 'string').join('');
    if (/json/i.test(s.attrs['type'] ?? '')) {
      out.push(...jsonSets(literal(code)));
      continue;
    }
    let tried = 0;
    let from = 0;
    const start = /(?:=|\(|return)\s*([[{])/g;
    for (let m = start.exec(code); m !== null && tried < MAX_LITERALS; m = start.exec(code)) {
      const i = m.index + m[0].length - 1;
      if (i < from) continue;
      const end = balancedEnd(code, i);
      if (end < 0) break;
      if (end - i < 16) continue;
      tried++;
      const v = literal(code.slice(i, end));
      if (v !== undefined) {
        out.push(...jsonSets(v));
        from = end;
        start.lastIndex = end;
      }
    }
  }
  return out;
}

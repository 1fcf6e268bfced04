/**
 * Parts of a study list for counting behind a C-FIND cap: each part is a set of matching keys that
 * every server must support (PS3.4 C.2.2.2: range matching on StudyDate and StudyTime, wild card
 * matching on PatientName, PatientID and AccessionNumber), and each split key turns a part whose
 * answers were capped into smaller parts, using the values the answers showed (held in memory
 * only, for the length of one count). A split is never trusted to be exhaustive: a study whose
 * value is empty or unusable in a query is not in any child, so the counter cross-checks.
 */
import type { Identifier } from '../../dicom/dataset.js';

/** What a split needs to know of one study seen. In memory only, dropped with the count. */
export interface StudyKeys {
  date: string;
  time: string;
  name: string;
  pid: string;
  accession: string;
}

export type PrefixAttribute = 'PatientName' | 'PatientID' | 'AccessionNumber';
export type SplitKeyName = 'StudyDate' | 'StudyTime' | PrefixAttribute;

const FIELD: Record<PrefixAttribute, keyof StudyKeys> = {
  PatientName: 'name',
  PatientID: 'pid',
  AccessionNumber: 'accession',
};

export interface Part {
  /** Inclusive StudyDate range (YYYYMMDD; null bound open), or no date constraint. */
  date: { lo: string | null; hi: string | null } | null;
  /** Inclusive StudyTime range in seconds of the day, or no time constraint. */
  time: { lo: number; hi: number } | null;
  /** Wild card constraints: a value prefix (`MAR*`) or, with exact, the whole value. */
  prefixes: Partial<Record<PrefixAttribute, { value: string; exact: boolean }>>;
}

export const WHOLE: Part = { date: null, time: null, prefixes: {} };

/** A stable name for a part (cache key, debug lines: no values, only which keys constrain it). */
export function partId(p: Part): string {
  return JSON.stringify([p.date, p.time, p.prefixes]);
}

export function describePart(p: Part): string {
  const keys = [
    p.date !== null ? 'StudyDate' : null,
    p.time !== null ? 'StudyTime' : null,
    ...Object.keys(p.prefixes).map((k) => `${k}(${p.prefixes[k as PrefixAttribute]?.value.length})`),
  ];
  return keys.filter((k) => k !== null).join('+') || 'all';
}

const isDate = (d: string): boolean => /^\d{8}$/.test(d);

/** StudyTime (HHMMSS[.F], or the older HHMM / HH) in seconds of the day; null when not a time. */
export function seconds(tm: string): number | null {
  const m = /^(\d{2})(\d{2})?(\d{2})?(\.\d*)?$/.exec(tm.trim());
  if (m === null) return null;
  const s = Number(m[1]) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
  return s < 86400 ? s : null;
}

const hhmmss = (s: number): string =>
  [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60].map((n) => String(n).padStart(2, '0')).join('');

/** Wild card characters and the value separator cannot stand in a prefix; nor can non-ASCII (character sets differ). */
const usableChar = (c: string): boolean => /^[\x20-\x7e]$/.test(c) && !'*?\\'.includes(c);

/** Does a study (as the answers showed it) belong to this part? Case-insensitive, as servers often match PN. */
export function within(s: StudyKeys, p: Part): boolean {
  if (
    p.date !== null &&
    !(isDate(s.date) && (p.date.lo === null || s.date >= p.date.lo) && (p.date.hi === null || s.date <= p.date.hi))
  )
    return false;
  if (p.time !== null) {
    const t = seconds(s.time);
    if (t === null || t < p.time.lo || t > p.time.hi) return false;
  }
  for (const [attr, c] of Object.entries(p.prefixes) as Array<[PrefixAttribute, { value: string; exact: boolean }]>) {
    const v = s[FIELD[attr]].toUpperCase();
    const want = c.value.toUpperCase();
    if (c.exact ? v !== want : !v.startsWith(want)) return false;
  }
  return true;
}

/** The part's matching keys, to be merged into a study-level identifier. */
export function matchingKeys(p: Part): Identifier {
  const id: Identifier = {};
  if (p.date !== null)
    id['StudyDate'] =
      p.date.lo !== null && p.date.lo === p.date.hi ? p.date.lo : `${p.date.lo ?? ''}-${p.date.hi ?? ''}`;
  if (p.time !== null) id['StudyTime'] = `${hhmmss(p.time.lo)}-${hhmmss(p.time.hi)}`;
  for (const [attr, c] of Object.entries(p.prefixes) as Array<[PrefixAttribute, { value: string; exact: boolean }]>)
    id[attr] = c.exact ? c.value : `${c.value}*`;
  return id;
}

function nextDay(date: string): string {
  const d = new Date(Date.UTC(Number(date.slice(0, 4)), Number(date.slice(4, 6)) - 1, Number(date.slice(6, 8)) + 1));
  return `${d.getUTCFullYear().toString().padStart(4, '0')}${(d.getUTCMonth() + 1).toString().padStart(2, '0')}${d.getUTCDate().toString().padStart(2, '0')}`;
}

/** The median of distinct values, splitting them into two non-empty halves; null with fewer than two. */
function median<T>(values: T[]): T | null {
  const distinct = [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return distinct.length < 2 ? null : (distinct[Math.floor((distinct.length - 1) / 2)] as T);
}

/**
 * Children of a capped part by one key, from the studies seen in it; null when the key cannot split
 * it (fewer than two distinct dates or times, no longer prefix seen).
 */
export function split(key: SplitKeyName, p: Part, seen: StudyKeys[]): Part[] | null {
  if (key === 'StudyDate') {
    const mid = median(seen.map((s) => s.date).filter(isDate));
    if (mid === null) return null;
    return [
      { ...p, date: { lo: p.date?.lo ?? null, hi: mid } },
      { ...p, date: { lo: nextDay(mid), hi: p.date?.hi ?? null } },
    ];
  }
  if (key === 'StudyTime') {
    const mid = median(seen.map((s) => seconds(s.time)).filter((t): t is number => t !== null));
    if (mid === null) return null;
    return [
      { ...p, time: { lo: p.time?.lo ?? 0, hi: mid } },
      { ...p, time: { lo: mid + 1, hi: p.time?.hi ?? 86399 } },
    ];
  }
  const current = p.prefixes[key];
  if (current?.exact === true) return null;
  const prefix = current?.value ?? '';
  if (prefix.length >= 64) return null;
  const values = seen.map((s) => s[FIELD[key]]);
  const next = new Set<string>();
  let exact = false;
  for (const v of values) {
    if (!v.toUpperCase().startsWith(prefix.toUpperCase())) continue;
    if (v.length === prefix.length) exact = prefix !== '';
    // the value's own characters (its case too: a case-sensitive server matches only those)
    else if ([...v.slice(0, prefix.length + 1)].every(usableChar)) next.add(v.slice(0, prefix.length + 1));
  }
  if (next.size === 0) return null;
  const children: Part[] = [...next]
    .sort()
    .map((value) => ({ ...p, prefixes: { ...p.prefixes, [key]: { value, exact: false } } }));
  if (exact) children.push({ ...p, prefixes: { ...p.prefixes, [key]: { value: prefix, exact: true } } });
  return children;
}

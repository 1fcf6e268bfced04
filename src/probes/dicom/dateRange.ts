/** StudyDate ranges for splitting C-FIND queries (PS3.4 C.2.2.2.5 range matching on DA). */

export class DateRange {
  /** Inclusive bounds as YYYYMMDD; null is open-ended. */
  constructor(
    readonly lo: string | null,
    readonly hi: string | null,
  ) {}

  static all(): DateRange {
    return new DateRange(null, null);
  }

  toDicom(): string {
    if (this.lo !== null && this.lo === this.hi) return this.lo;
    return `${this.lo ?? ''}-${this.hi ?? ''}`;
  }

  contains(date: string): boolean {
    return /^\d{8}$/.test(date) && (this.lo === null || date >= this.lo) && (this.hi === null || date <= this.hi);
  }
}

export interface DateSplit {
  low: DateRange;
  high: DateRange;
  lowCount: number;
  highCount: number;
}

function nextDay(date: string): string {
  const d = new Date(Date.UTC(Number(date.slice(0, 4)), Number(date.slice(4, 6)) - 1, Number(date.slice(6, 8)) + 1));
  return `${d.getUTCFullYear().toString().padStart(4, '0')}${(d.getUTCMonth() + 1).toString().padStart(2, '0')}${d.getUTCDate().toString().padStart(2, '0')}`;
}

/** Split a range at the median of the distinct dates seen in it; null when fewer than two distinct dates. */
export function splitRange(range: DateRange, datesSeen: readonly string[]): DateSplit | null {
  const distinct = [...new Set(datesSeen.filter((d) => range.contains(d)))].sort();
  if (distinct.length < 2) return null;
  const mid = distinct[Math.floor((distinct.length - 1) / 2)] as string;
  return { low: new DateRange(range.lo, mid), high: new DateRange(nextDay(mid), range.hi), lowCount: 0, highCount: 0 };
}

/**
 * Exact exposure counts over C-FIND (PS3.4 annex C): distinct patients (keyed hash of PatientID
 * and issuer), studies, series, instances, and which identifying attributes came back. Values are
 * read, hashed or tested for emptiness, and dropped; only counts and attribute names leave here.
 *
 * Servers cap C-FIND answers and still report Success (Orthanc LimitFindResults). A cap is
 * detected by splitting the study list by StudyDate at the median date seen: for an uncapped
 * answer the halves add up to the whole; for a capped one they exceed it. Capped parts are split
 * again (then by patient name initial) until each is under the cap or a bound stops the count.
 */
import type { AcceptedContext, Association } from '../../dicom/association.js';
import { decodeDataset, encodeIdentifier, type DatasetView, type Identifier } from '../../dicom/dataset.js';
import { SopClass } from '../../dicom/uids.js';
import type { Logger } from '../../util/log.js';
import type { ExposureObservation } from '../types.js';
import { PHI_ATTRIBUTES, keyedDigest, patientKey } from './phi.js';
import { DateRange, splitRange, type DateSplit } from './dateRange.js';

export interface CountBounds {
  maxQueries: number;
  /** Wall-clock budget for the whole count, ms. */
  budgetMs: number;
}


interface Study {
  patient: string;
  series: number | null;
  instances: number | null;
  /** NumberOfStudyRelatedInstances as reported, or null. */
  reportedInstances: number | null;
  date: string;
  /** Kept in memory only while its counts are missing, to ask for them. */
  uid: string | null;
}

class BoundReached extends Error {}

const NAME_INITIALS = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'];

export class StudyCounter {
  readonly studies = new Map<string, Study>();
  readonly phi = new Set<string>();
  queries = 0;
  capped = false;
  /** StudyDate values seen in cheap cap-check answers (dates only; nothing identifying). */
  private readonly datesSeen: string[] = [];
  incomplete: string | null = null;
  private readonly started = performance.now();

  constructor(
    private readonly assoc: Association,
    private readonly context: AcceptedContext,
    private readonly bounds: CountBounds,
    private readonly log: Logger,
  ) {}

  private checkBounds(): void {
    if (this.queries >= this.bounds.maxQueries) throw new BoundReached(`stopped at --max-queries ${this.bounds.maxQueries}`);
    if (performance.now() - this.started > this.bounds.budgetMs) throw new BoundReached(`stopped at the ${this.bounds.budgetMs} ms count budget`);
  }

  /** One C-FIND; returns the number of answers and the dates seen (dates are not identifying here). */
  async query(identifier: Identifier, onAnswer: (ds: DatasetView) => void): Promise<number> {
    this.checkBounds();
    this.queries++;
    let answers = 0;
    const rq = encodeIdentifier(identifier, this.context.transferSyntax);
    const gen = this.assoc.find(this.context.id, this.context.abstractSyntax, rq);
    for (;;) {
      const next = await gen.next();
      if (next.done === true) {
        if (next.value !== 0) this.log.debug(`C-FIND final status 0x${next.value.toString(16)}`);
        break;
      }
      answers++;
      this.notePhi(decodeDataset(next.value, this.context.transferSyntax), onAnswer);
      if (performance.now() - this.started > this.bounds.budgetMs) {
        try {
          await gen.return(-1); // sends C-CANCEL-RQ and waits (bounded by the association deadline)
        } catch {
          // a peer that ignores C-CANCEL: the deadline closed the association; the partial count stands
        }
        throw new BoundReached(`stopped at the ${this.bounds.budgetMs} ms count budget`);
      }
    }
    return answers;
  }

  private notePhi(ds: DatasetView, onAnswer: (ds: DatasetView) => void): void {
    for (const name of PHI_ATTRIBUTES) if (ds.text(name) !== '') this.phi.add(name);
    onAnswer(ds);
  }

  /** Study-level query over a date range and optional name filter; returns the answer count and dates seen. */
  /**
   * A study-level query. `full` asks for everything a count needs (patient key, study counts, the
   * identifying attributes) and records the studies; otherwise only UIDs and dates come back, which
   * is all a cap check needs (and much cheaper for servers that compute the study counts).
   */
  async studyQuery(range: DateRange | null, nameFilter: string | null, full = true): Promise<{ count: number; dates: string[] }> {
    const identifier: Identifier = { QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '', StudyDate: range === null ? '' : range.toDicom() };
    if (full) {
      identifier['NumberOfStudyRelatedSeries'] = '';
      identifier['NumberOfStudyRelatedInstances'] = '';
      for (const name of PHI_ATTRIBUTES) identifier[name] = '';
    }
    if (nameFilter !== null) identifier['PatientName'] = nameFilter;
    const dates: string[] = [];
    const count = await this.query(identifier, (ds) => {
      const uid = ds.text('StudyInstanceUID');
      if (uid === '') return;
      const date = ds.text('StudyDate');
      dates.push(date);
      if (!full) return;
      const key = keyedDigest('study', uid);
      if (this.studies.has(key)) return;
      const patient = patientKey(ds.text('PatientID'), ds.text('IssuerOfPatientID'), ds.text('PatientName'), ds.text('PatientBirthDate'));
      const series = num(ds, 'NumberOfStudyRelatedSeries');
      const instances = num(ds, 'NumberOfStudyRelatedInstances');
      const missing = series === null || instances === null;
      this.studies.set(key, { patient, series, instances, reportedInstances: instances, date: /^\d{8}$/.test(date) ? date : '', uid: missing ? uid : null });
    });
    return { count, dates };
  }

  /** Enumerate every study, splitting where the server caps its answers. */
  async enumerate(): Promise<void> {
    const whole = await this.studyQuery(null, null);
    if (whole.count < 2) return;
    const undated = whole.dates.filter((d) => !/^\d{8}$/.test(d)).length;
    const split = splitRange(DateRange.all(), whole.dates);
    if (split === null) {
      // every study on one date: a name split is the only check left
      await this.checkByName(DateRange.all(), whole.count);
      return;
    }
    const parts = await this.countParts(split);
    if (parts + undated > whole.count) {
      this.capped = true;
      this.log.debug(`C-FIND answers capped at ${whole.count}`);
      if (undated > 0) this.incomplete = 'capped answers include studies without StudyDate, which no date split reaches';
      await this.refine(split, whole.count);
    }
  }

  /** Cheap counts of both halves; the dates seen are kept for splitting further. */
  private async countParts(split: DateSplit): Promise<number> {
    const low = await this.studyQuery(split.low, null, false);
    const high = await this.studyQuery(split.high, null, false);
    split.lowCount = low.count;
    split.highCount = high.count;
    this.datesSeen.push(...low.dates, ...high.dates);
    return split.lowCount + split.highCount;
  }

  /** Fetch in full every part under the cap; split the others, by date while dates differ, then by name initial. */
  private async refine(split: DateSplit, cap: number): Promise<void> {
    for (const [range, count] of [[split.low, split.lowCount], [split.high, split.highCount]] as const) {
      if (count < cap) {
        if (count > 0) await this.studyQuery(range, null);
        continue;
      }
      const dates = this.datesSeen.filter((d) => range.contains(d));
      const sub = splitRange(range, dates);
      if (sub === null) {
        await this.checkByName(range, cap);
        continue;
      }
      await this.countParts(sub);
      await this.refine(sub, cap);
    }
  }

  private async checkByName(range: DateRange, cap: number): Promise<void> {
    let total = 0;
    for (const initial of NAME_INITIALS) {
      const r = await this.studyQuery(range, `${initial}*`);
      total += r.count;
      if (r.count >= cap && cap > 1) this.incomplete = `more than ${cap} studies on one date and name initial ${initial}`;
    }
    if (total === 0 && cap > 1) this.incomplete ??= 'answers could not be partitioned to verify the count';
  }
}

function num(ds: DatasetView, keyword: string): number | null {
  const t = ds.text(keyword);
  return /^\d+$/.test(t) ? Number(t) : null;
}

/** Fill series/instance counts the server did not report at study level (SERIES, then IMAGE queries). */
async function fillMissing(counter: StudyCounter): Promise<void> {
  for (const study of counter.studies.values()) {
    const uid = study.uid;
    if (uid === null) continue;
    const series: string[] = [];
    let instances = 0;
    let allReported = true;
    await counter.query({ QueryRetrieveLevel: 'SERIES', StudyInstanceUID: uid, SeriesInstanceUID: '', NumberOfSeriesRelatedInstances: '' }, (ds) => {
      series.push(ds.text('SeriesInstanceUID'));
      const n = num(ds, 'NumberOfSeriesRelatedInstances');
      if (n === null) allReported = false;
      else instances += n;
    });
    if (!allReported) {
      instances = 0;
      for (const s of series) {
        instances += await counter.query({ QueryRetrieveLevel: 'IMAGE', StudyInstanceUID: uid, SeriesInstanceUID: s, SOPInstanceUID: '' }, () => undefined);
      }
    }
    study.series ??= series.length;
    study.instances ??= instances;
    study.uid = null;
  }
}

export async function countExposure(assoc: Association, bounds: CountBounds, log: Logger): Promise<ExposureObservation | null> {
  const ctx = assoc.contextFor(SopClass.StudyRootFind) ?? assoc.contextFor(SopClass.PatientRootFind);
  if (ctx === null) return null;
  const counter = new StudyCounter(assoc, ctx, bounds, log);
  let reason: string | null = null;
  try {
    await counter.enumerate();
    await fillMissing(counter);
  } catch (e) {
    if (!(e instanceof BoundReached)) throw e;
    reason = e.message;
  }
  const studies = [...counter.studies.values()];
  return {
    patients: new Set(studies.map((s) => s.patient)).size,
    studies: studies.length,
    series: studies.reduce((a, s) => a + (s.series ?? 0), 0),
    instances: studies.reduce((a, s) => a + (s.instances ?? 0), 0),
    linkedImages: studies.reduce((a, s) => a + (s.reportedInstances ?? 0), 0),
    complete: reason === null && counter.incomplete === null,
    incompleteReason: reason ?? counter.incomplete,
    capped: counter.capped,
    phi: PHI_ATTRIBUTES.filter((p) => counter.phi.has(p)),
    queries: counter.queries,
    model: ctx.abstractSyntax === SopClass.StudyRootFind ? 'study-root' : 'patient-root',
  };
}

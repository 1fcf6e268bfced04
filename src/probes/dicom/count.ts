/**
 * Exact exposure counts over C-FIND (PS3.4 annex C): distinct patients (keyed hash of PatientID
 * and issuer), studies, series, instances, and which identifying attributes came back. Values are
 * read, hashed or tested for emptiness, and dropped when the count ends; only counts and attribute
 * names leave here.
 *
 * Servers cap C-FIND answers and still report Success (Orthanc LimitFindResults). Every query's
 * answers are real studies, so the count is the union of all studies answered; the question is
 * whether it is all of them. A part whose answers reached the cap (the most answers any query
 * got) is split (partition.ts) by StudyDate, StudyTime, then name, PatientID and accession prefixes,
 * using the values seen, until every part is under the cap. A split is only believed when no study
 * seen in the part escapes its children (an empty name escapes a name split: the next key must
 * reach it) and the server honours the key (no answer outside the part it asked for). The whole is
 * explored in two orders — dates and times first, identifiers first — and the count is complete
 * only when both reach the same studies and every study seen: a study one partition saw and the
 * other missed sends both round again, its values now known.
 */
import type { AcceptedContext, Association } from '../../dicom/association.js';
import { decodeDataset, encodeIdentifier, type DatasetView, type Identifier } from '../../dicom/dataset.js';
import { SopClass } from '../../dicom/uids.js';
import type { Logger } from '../../util/log.js';
import type { CountBounds, ExposureObservation } from '../types.js';
import { isCanned } from './canned.js';
import { PHI_ATTRIBUTES, PHI_STUDY_KEYS, answerPrint, keyedDigest, patientKey, phiInOrder, setPrint } from '../phi.js';
import {
  WHOLE,
  describePart,
  matchingKeys,
  partId,
  split,
  within,
  type Part,
  type SplitKeyName,
  type StudyKeys,
} from './partition.js';

interface Study {
  patient: string;
  series: number | null;
  instances: number | null;
  /** NumberOfStudyRelatedInstances as reported, or null. */
  reportedInstances: number | null;
  /** Kept in memory only while its counts are missing, to ask for them. */
  uid: string | null;
  /** Its keyed print (study UID, patient ID and issuer), when the scan gave a print key. */
  print: string | null;
}

class BoundReached extends Error {}

/** Dates and times first (cheap, exhaustive for dated studies), then identifiers. */
const ORDER_A: readonly SplitKeyName[] = ['StudyDate', 'StudyTime', 'PatientName', 'PatientID', 'AccessionNumber'];
/** The second partition: identifiers first, so that it fails where the first one would not. */
const ORDER_B: readonly SplitKeyName[] = ['PatientID', 'PatientName', 'AccessionNumber', 'StudyTime', 'StudyDate'];
/** Rounds of the two partitions, each of which must have seen new studies to be worth another. */
const MAX_ROUNDS = 6;

/** The studies seen within a part, as of the first `upTo` studies seen. */
interface Seen {
  keys: string[];
  upTo: number;
}

interface Explored {
  complete: boolean;
  /** Studies answered by parts under the cap. */
  reached: Set<string>;
}

export class StudyCounter {
  readonly studies = new Map<string, Study>();
  /** The split values of every study seen, for the length of the count (memory only). */
  private readonly keys = new Map<string, StudyKeys>();
  /** The keys in the order they were first seen (for bringing a part's list up to date). */
  private readonly order: string[] = [];
  private readonly answers = new Map<string, { count: number; found: string[] }>();
  /** Keys this server was caught not honouring: an answer outside the part that was asked for. */
  private readonly ignored = new Set<SplitKeyName>();
  readonly phi = new Set<string>();
  readonly splits = new Set<SplitKeyName>();
  /** Studies seen that carry known canned data (canned.ts). */
  canned = 0;
  queries = 0;
  capped = false;
  /** The most answers one query returned: a part that reaches it may have been cut. */
  private cap = 0;
  /** How many studies the unconstrained study query answered. */
  private wholeCount: number | null = null;
  incomplete: string | null = null;
  private readonly started = performance.now();

  constructor(
    private readonly assoc: Association,
    private readonly context: AcceptedContext,
    private readonly bounds: CountBounds,
    private readonly log: Logger,
    private readonly printKey: Buffer | null = null,
  ) {}

  private checkBounds(): void {
    if (this.queries >= this.bounds.maxQueries)
      throw new BoundReached(`stopped at --max-queries ${this.bounds.maxQueries}`);
    if (performance.now() - this.started > this.bounds.budgetMs)
      throw new BoundReached(`stopped at the ${this.bounds.budgetMs} ms count budget`);
  }

  /** One C-FIND; returns the number of answers. */
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

  /** A study-level query for one part (asked once): every study answered is recorded. */
  private async ask(part: Part): Promise<{ count: number; found: string[] }> {
    const id = partId(part);
    const known = this.answers.get(id);
    if (known !== undefined) return known;
    const identifier: Identifier = {
      QueryRetrieveLevel: 'STUDY',
      StudyInstanceUID: '',
      StudyDate: '',
      StudyTime: '',
      NumberOfStudyRelatedSeries: '',
      NumberOfStudyRelatedInstances: '',
    };
    for (const name of PHI_STUDY_KEYS) identifier[name] = '';
    Object.assign(identifier, matchingKeys(part));
    const found: string[] = [];
    const count = await this.query(identifier, (ds) => {
      const uid = ds.text('StudyInstanceUID');
      if (uid === '') return;
      const key = keyedDigest('study', uid);
      found.push(key);
      if (this.studies.has(key)) return;
      const patient = patientKey(
        ds.text('PatientID'),
        ds.text('IssuerOfPatientID'),
        ds.text('PatientName'),
        ds.text('PatientBirthDate'),
      );
      const series = num(ds, 'NumberOfStudyRelatedSeries');
      const instances = num(ds, 'NumberOfStudyRelatedInstances');
      this.studies.set(key, {
        patient,
        print:
          this.printKey === null
            ? null
            : answerPrint(this.printKey, 'study', uid, ds.text('PatientID'), ds.text('IssuerOfPatientID')),
        series,
        instances,
        reportedInstances: instances,
        uid: series === null || instances === null ? uid : null,
      });
      if (isCanned(uid, ds.text('PatientID'))) this.canned++;
      this.order.push(key);
      this.keys.set(key, {
        date: ds.text('StudyDate'),
        time: ds.text('StudyTime'),
        name: ds.text('PatientName'),
        pid: ds.text('PatientID'),
        accession: ds.text('AccessionNumber'),
      });
    });
    this.cap = Math.max(this.cap, count);
    // more studies than the unconstrained query returned: that answer was cut, whatever stops the count later
    if (this.wholeCount !== null && this.keys.size > this.wholeCount && !this.capped) {
      this.capped = true;
      this.log.debug(`C-FIND answers capped at ${this.wholeCount}`);
    }
    const answer = { count, found };
    this.answers.set(id, answer);
    return answer;
  }

  /**
   * The studies seen so far that belong to a part, brought up to date from an earlier list for it
   * or for a part containing it (so a split tree filters its parent's list, not every study seen).
   */
  private seen(part: Part, from: Seen | null): Seen {
    const test = (k: string): boolean => {
      const s = this.keys.get(k);
      return s !== undefined && within(s, part);
    };
    const keys = from === null ? [] : from.keys.filter(test);
    for (let i = from?.upTo ?? 0; i < this.order.length; i++) {
      const k = this.order[i] as string;
      if (test(k)) keys.push(k);
    }
    return { keys, upTo: this.order.length };
  }

  private studyKeys(seen: Seen): StudyKeys[] {
    return seen.keys.map((k) => this.keys.get(k)).filter((s): s is StudyKeys => s !== undefined);
  }

  /** Enumerate every study, splitting where the server caps its answers, until two partitions agree. */
  async enumerate(): Promise<void> {
    const whole = await this.ask(WHOLE);
    this.wholeCount = whole.count;
    if (whole.count < 2) return;
    for (let round = 1; ; round++) {
      const seenBefore = this.keys.size;
      const a = await this.explore(WHOLE, ORDER_A);
      // no query reached past the whole's answers: nothing was capped, the first partition proves it
      if (!this.capped) {
        if (!a.complete) this.incomplete = 'answers could not be partitioned to verify the count';
        return;
      }
      const b = await this.explore(WHOLE, ORDER_B);
      const all = this.keys.size;
      if (a.complete && b.complete && a.reached.size === all && b.reached.size === all) return;
      if (all === seenBefore || round === MAX_ROUNDS) {
        this.incomplete = `capped answers: ${all - Math.min(a.reached.size, b.reached.size)} of ${all} studies seen could not be confirmed by two partitions${this.ignored.size > 0 ? ` (the server ignores ${[...this.ignored].join(', ')})` : ''}`;
        return;
      }
    }
  }

  /**
   * The studies of one part reached through parts under the cap. Complete when one key split it
   * into complete children that no study seen in it escaped (other keys reach what one misses).
   */
  private async explore(part: Part, order: readonly SplitKeyName[], parent: Seen | null = null): Promise<Explored> {
    const r = await this.ask(part);
    if (r.count < this.cap) return { complete: true, reached: new Set(r.found) };
    const reached = new Set<string>();
    let inside = this.seen(part, parent);
    let splitWhole = false;
    for (const key of order) {
      if (this.ignored.has(key)) continue;
      inside = this.seen(part, inside);
      const children = split(key, part, this.studyKeys(inside));
      if (children === null) continue;
      this.splits.add(key);
      let all = true;
      for (const child of children) {
        const c = await this.explore(child, order, inside);
        if (this.honours(key, child)) for (const k of c.reached) reached.add(k);
        all &&= c.complete;
      }
      if (this.ignored.has(key)) continue;
      splitWhole ||= all;
      inside = this.seen(part, inside);
      if (splitWhole && inside.keys.every((k) => reached.has(k))) return { complete: true, reached };
      this.log.debug(`count: ${describePart(part)} split by ${key} left studies out; trying the next key`);
    }
    return { complete: false, reached };
  }

  /** False (and the key marked ignored) when the answers for a part include a study outside it. */
  private honours(key: SplitKeyName, child: Part): boolean {
    const found = this.answers.get(partId(child))?.found ?? [];
    const outside = found.some((k) => {
      const s = this.keys.get(k);
      return s !== undefined && !within(s, child) && keyValue(s, key) !== '';
    });
    if (outside && !this.ignored.has(key)) {
      this.ignored.add(key);
      this.log.debug(`count: the server does not honour ${key} matching; not splitting by it`);
    }
    return !outside;
  }
}

function keyValue(s: StudyKeys, key: SplitKeyName): string {
  return key === 'StudyDate'
    ? s.date
    : key === 'StudyTime'
      ? s.time
      : key === 'PatientName'
        ? s.name
        : key === 'PatientID'
          ? s.pid
          : s.accession;
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
    await counter.query(
      {
        QueryRetrieveLevel: 'SERIES',
        StudyInstanceUID: uid,
        SeriesInstanceUID: '',
        NumberOfSeriesRelatedInstances: '',
      },
      (ds) => {
        series.push(ds.text('SeriesInstanceUID'));
        const n = num(ds, 'NumberOfSeriesRelatedInstances');
        if (n === null) allReported = false;
        else instances += n;
      },
    );
    if (!allReported) {
      instances = 0;
      for (const s of series) {
        instances += await counter.query(
          { QueryRetrieveLevel: 'IMAGE', StudyInstanceUID: uid, SeriesInstanceUID: s, SOPInstanceUID: '' },
          () => undefined,
        );
      }
    }
    study.series ??= series.length;
    study.instances ??= instances;
    study.uid = null;
  }
}

export async function countExposure(
  assoc: Association,
  bounds: CountBounds,
  log: Logger,
  printKey: Buffer | null = null,
): Promise<ExposureObservation | null> {
  const ctx = assoc.contextFor(SopClass.StudyRootFind) ?? assoc.contextFor(SopClass.PatientRootFind);
  if (ctx === null) return null;
  const counter = new StudyCounter(assoc, ctx, bounds, log, printKey);
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
    phi: phiInOrder(counter.phi),
    queries: counter.queries,
    splits: [...counter.splits],
    cannedStudies: counter.canned,
    model: ctx.abstractSyntax === SopClass.StudyRootFind ? 'study-root' : 'patient-root',
    ...(printKey !== null && studies.length > 0
      ? {
          print: setPrint(
            printKey,
            studies.map((s) => s.print ?? ''),
          ),
        }
      : {}),
  };
}

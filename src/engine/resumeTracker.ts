/**
 * Where a running scan stands, for --resume: every item before `step` is done, except those
 * dispatched and not finished (pending). The engine tells it of each item as it enters the run,
 * finishes or is left out by the opt-out list; a snapshot is what the sinks save.
 */
import type { ResumeState, WorkItem } from '../types/work.js';

export class ResumeTracker {
  private step: bigint;
  private hostsDone: number;
  private optedOutSoFar: number;
  private readonly unfinished = new Set<bigint>();

  /** From where an interrupted scan stood (--resume), or from the start. */
  constructor(from: ResumeState | null) {
    this.step = from?.step ?? 0n;
    this.hostsDone = from?.hostsDone ?? 0;
    this.optedOutSoFar = from?.optedOut ?? 0;
  }

  /** An item dispatched: pending until it is done; the walk has passed it. */
  enter(item: WorkItem): void {
    this.unfinished.add(item.idx);
    if (item.next !== undefined) this.step = item.next;
  }

  /** An item the opt-out list left out: counted, never pending (saved with the step that passes it). */
  optOut(item: WorkItem): void {
    if (item.next !== undefined) this.step = item.next;
    this.optedOutSoFar++;
  }

  /** An item done: its host's results are kept. */
  done(idx: bigint): void {
    this.unfinished.delete(idx);
    this.hostsDone++;
  }

  /** Dispatched and not yet done (a failed one stays so: the scan stays resumable). */
  pending(idx: bigint): boolean {
    return this.unfinished.has(idx);
  }

  /** How many items are dispatched and not done. */
  get unfinishedCount(): number {
    return this.unfinished.size;
  }

  /** Items the opt-out list left out, this run and the runs it resumes. */
  get optedOut(): number {
    return this.optedOutSoFar;
  }

  /** Where the scan stands; with `finishing`, as it will once that item is done. */
  snapshot(finishing?: bigint): ResumeState {
    const state = { step: this.step, hostsDone: this.hostsDone, optedOut: this.optedOutSoFar };
    return finishing === undefined
      ? { ...state, pending: [...this.unfinished] }
      : { ...state, hostsDone: state.hostsDone + 1, pending: [...this.unfinished].filter((x) => x !== finishing) };
  }
}

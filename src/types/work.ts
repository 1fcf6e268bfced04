/**
 * The vocabulary of scan work shared by the engine (which produces and schedules it) and the store
 * (which keeps it for --resume): neither layer owns it.
 */

export interface WorkItem {
  idx: bigint;
  host: string;
  ports: number[];
  /** The ports are known open (a sweeper such as zmap, masscan or nmap reported them): no second sweep. */
  open?: boolean;
  /** Where the work sequence continues after this item (for --resume); absent on items run again. */
  next?: bigint;
}

/** Where a scan stands: every item before `step` is done except `pending`, which are run again. */
export interface ResumeState {
  step: bigint;
  pending: bigint[];
  hostsDone: number;
  /** Items the opt-out list left out so far (none of them got a packet). */
  optedOut: number;
}

/** Where streamed input is kept as it arrives, so a resumed scan has it all. */
export interface InputJournal {
  /** Stores one item; null when the same host and ports came before (probed once). */
  addInput(host: string, ports: number[], open: boolean): Promise<bigint | null>;
  /** Stores a line as read (null: the end of the input); returns its number. */
  addLine(text: string | null): Promise<number>;
  /** Every item of that line is stored. */
  lineDone(n: number): Promise<void>;
}

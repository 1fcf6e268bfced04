/**
 * Where a scan's results go, as the engine sees it: one small interface, several places (the
 * store, JSON Lines on stdout, an `-o` file). The engine hands each host's records to every sink in
 * turn, the store first: a host whose records were not kept stays pending for --resume.
 */
import type { HostPrints } from '../fingerprint/cluster.js';
import type { ResumeState } from '../types/work.js';
import type { ServiceRecord } from './records.js';

export interface ScanSink {
  /** One host's records, where the scan stands once they are kept, and what the host answered as prints (for clusters). */
  host(records: readonly ServiceRecord[], state: ResumeState, prints: HostPrints): Promise<void>;
  /** Where the scan stands after hosts finished without records (closed ones). */
  progress(state: ResumeState): Promise<void>;
}

/** JSON Lines: one service record a line, as the contract gives them. */
export function jsonLinesSink(write: (line: string) => void): ScanSink {
  return {
    host: async (records) => {
      for (const r of records) write(`${JSON.stringify(r)}\n`);
    },
    progress: async () => undefined,
  };
}

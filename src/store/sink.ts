/**
 * The store as a scan sink (each host's records and the progress that counts it done, in one
 * transaction), and a scan run into it to its end: what `opendoor scan` and the dashboard share.
 */
import type { Plan } from '../engine/plan.js';
import { type RunOptions, type RunResult, runScan } from '../engine/scan.js';
import type { ScanSink } from '../output/sink.js';
import type { Store } from './store.js';

function storeSink(store: Store, scanId: string): ScanSink {
  return {
    host: (records, state) => store.recordHost(scanId, records, state),
    progress: (state) => store.saveProgress(scanId, state),
  };
}

/** Run the scan with the store as its first sink, then record how it ended (done or interrupted) and its targets. */
export async function runIntoStore(store: Store, scanId: string, plan: Plan, o: RunOptions): Promise<RunResult> {
  const r = await runScan(plan, { rdapCache: store.rdap, ...o, sinks: [storeSink(store, scanId), ...o.sinks] });
  const targets = plan.args.stream === true ? await store.inputCount(scanId) : Number(plan.total);
  await store.finishScan(scanId, r.status, targets, r.elapsedMs);
  return r;
}

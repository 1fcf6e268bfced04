/**
 * The store as a scan sink (each host's records and the progress that counts it done, in one
 * transaction), and a scan run into it to its end: what `opendoor scan` and the dashboard share.
 */
import type { Plan } from '../engine/plan.js';
import { type RunOptions, type RunResult, runScan } from '../engine/scan.js';
import type { ScanSink } from '../output/sink.js';
import { judgeClusters, newPrintKey } from '../engine/clusters.js';
import type { Cluster } from '../fingerprint/cluster.js';
import type { Store } from './store.js';

function storeSink(store: Store, scanId: string): ScanSink {
  return {
    host: (records, state, prints) =>
      store.recordHost(
        scanId,
        records,
        state,
        records[0] !== undefined ? { host: records[0].host, prints } : undefined,
      ),
    progress: (state) => store.saveProgress(scanId, state),
  };
}

/** Run the scan with the store as its first sink, then record how it ended (done or interrupted) and its targets. */
export async function runIntoStore(
  store: Store,
  scanId: string,
  plan: Plan,
  o: RunOptions,
): Promise<RunResult & { clusters: Cluster[] }> {
  const printKey = Buffer.from(await store.clusters.printKey(scanId, newPrintKey), 'base64url');
  const r = await runScan(plan, { ...o, printKey, sinks: [storeSink(store, scanId), ...o.sinks] });
  const targets = plan.args.stream === true ? await store.inputCount(scanId) : Number(plan.total);
  await store.finishScan(scanId, r.status, targets, r.elapsedMs);
  // every host is in: which of them answered alike (an interrupted scan is judged when it is resumed to its end)
  const clusters = r.status === 'done' ? await judgeClusters(store, scanId) : [];
  return { ...r, clusters };
}

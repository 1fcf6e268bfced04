/**
 * The store as a scan sink (each host's records and the progress that counts it done, in one
 * transaction), and a scan run into it to its end: what `opendoor scan` and the dashboard share.
 * Every run reads the opt-out list as it starts (readOptOuts), the worker's slices too.
 */
import type { Plan } from '../engine/plan.js';
import { type RunOptions, type RunResult, runScan } from '../engine/scan.js';
import type { ScanSink } from '../output/sink.js';
import { builtInAsRanges } from '../attribution/asnData.js';
import { type AsRanges, NO_AS_DATA, type OptOutSet, canonicalScope, optOutSet } from '../targets/optout.js';
import type { Logger } from '../util/log.js';
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

/** The AS scopes this process last said it could not apply (a worker reads the list for every slice: said once). */
let unappliedSaid = '';

/**
 * The opt-out list in force now. AS scopes apply through `asRanges` (AS number → its address
 * ranges), by default the built-in AS data's; an AS it does not know leaves nothing out, and the
 * run says so.
 */
export async function readOptOuts(store: Store, log: Logger, asRanges?: AsRanges): Promise<OptOutSet> {
  const scopes = (await store.optouts.list()).map((r) => canonicalScope(r.scope));
  // AS scopes through the built-in AS data, loaded only when the list has one
  const asns = scopes.flatMap((s) => (s.kind === 'asn' ? [s.asn] : []));
  const set = optOutSet(scopes, asRanges ?? (asns.length > 0 ? await builtInAsRanges(asns) : NO_AS_DATA));
  const unapplied = set.unapplied.join(', ');
  if (unapplied !== '' && unapplied !== unappliedSaid)
    log.warn(`opt-outs by AS number not applied (no AS data for them): ${unapplied}`);
  unappliedSaid = unapplied;
  return set;
}

/**
 * Run the scan with the store as its first sink, the opt-out list read now, then record how it
 * ended (done or interrupted) and its targets (those the opt-outs left out are not targets).
 */
/** Run the scan with the store as its first sink, then record how it ended (done or interrupted) and its targets. */
export async function runIntoStore(
  store: Store,
  scanId: string,
  plan: Plan,
  o: Omit<RunOptions, 'optOuts'>,
): Promise<RunResult & { clusters: Cluster[] }> {
  const optOuts = await readOptOuts(store, o.log);
  const printKey = Buffer.from(await store.clusters.printKey(scanId, newPrintKey), 'base64url');
  const r = await runScan(plan, {
    rdapCache: store.rdap,
    ...o,
    optOuts,
    printKey,
    sinks: [storeSink(store, scanId), ...o.sinks],
  });
  const targets = plan.args.stream === true ? await store.inputCount(scanId) : Number(plan.total);
  await store.finishScan(scanId, r.status, targets - r.optedOut, r.elapsedMs);
  // every host is in: which of them answered alike (an interrupted scan is judged when it is resumed to its end)
  const clusters = r.status === 'done' ? await judgeClusters(store, scanId) : [];
  return { ...r, clusters };
}

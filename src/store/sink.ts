/** The store as a scan sink: each host's records and the progress that counts it done, in one transaction. */
import type { ScanSink } from '../output/sink.js';
import type { Store } from './store.js';

export function storeSink(store: Store, scanId: string): ScanSink {
  return {
    host: (records, state) => store.recordHost(scanId, records, state),
    progress: (state) => store.saveProgress(scanId, state),
  };
}

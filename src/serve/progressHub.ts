/**
 * One poll of the store per followed scan, whatever the number of people following it: each
 * progress stream subscribes to its scan's row, and the hub reads that row once a tick and hands
 * it to every subscriber. With nobody left, the scan's poll stops.
 */
import type { ScanRow, Store } from '../store/store.js';

type Listener = (row: ScanRow | null) => void;

interface Watch {
  listeners: Set<Listener>;
  /** The next tick, while the poll runs (null while a read is under way or once it stopped). */
  timer: NodeJS.Timeout | null;
  polling: boolean;
  /** The last row read, handed at once to a late subscriber. */
  last: ScanRow | null | undefined;
}

export class ProgressHub {
  private readonly watches = new Map<string, Watch>();
  /** Store reads made (for tests and benches: one per tick per scan, not per viewer). */
  reads = 0;

  constructor(
    private readonly store: Store,
    private readonly tickMs: number,
  ) {}

  /** Calls `listener` with the scan's row at once and then every tick (null: the scan is gone); returns unsubscribe. */
  subscribe(scanId: string, listener: Listener): () => void {
    let w = this.watches.get(scanId);
    if (w === undefined) {
      w = { listeners: new Set(), timer: null, polling: false, last: undefined };
      this.watches.set(scanId, w);
    }
    const watch = w;
    watch.listeners.add(listener);
    if (!watch.polling) void this.tick(scanId, watch);
    else if (watch.last !== undefined) {
      const last = watch.last;
      queueMicrotask(() => watch.listeners.has(listener) && listener(last));
    }
    return () => {
      watch.listeners.delete(listener);
      if (watch.listeners.size === 0) this.stop(scanId, watch);
    };
  }

  /** Stops every poll (the server is closing). */
  close(): void {
    for (const [id, w] of this.watches) this.stop(id, w);
  }

  private stop(scanId: string, w: Watch): void {
    if (w.timer !== null) clearTimeout(w.timer);
    w.timer = null;
    w.polling = false;
    w.listeners.clear();
    if (this.watches.get(scanId) === w) this.watches.delete(scanId);
  }

  private async tick(scanId: string, w: Watch): Promise<void> {
    w.polling = true;
    w.timer = null;
    let row: ScanRow | null;
    try {
      this.reads++;
      row = await this.store.scan(scanId);
    } catch {
      row = null;
    }
    if (this.watches.get(scanId) !== w || w.listeners.size === 0) return;
    w.last = row;
    for (const listener of [...w.listeners]) listener(row);
    if (this.watches.get(scanId) === w && w.listeners.size > 0)
      w.timer = setTimeout(() => void this.tick(scanId, w), this.tickMs);
  }
}

/**
 * `opendoor serve`'s metrics for Prometheus (docs/api.md, "Metrics"), in a registry of their own
 * (prom-client's global one stays untouched). What the store holds is read when Prometheus scrapes,
 * so the figures cover every scan of the store, whichever process ran it (serve itself on SQLite,
 * the workers on PostgreSQL): scans running, hosts done and service probes (counters: Prometheus'
 * `rate()` makes probes per second of them), alerts pending, the queue's depth. The store's latency
 * is this process's own: every call it makes to the store, timed at one seam (storeTiming.ts).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Store } from '../store/store.js';
import { type StoreObserver, timedStore } from './storeTiming.js';

/** Store call latency buckets, in seconds (an indexed read is well under a millisecond; a big write, a second). */
const STORE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export class ServeMetrics {
  readonly registry = new Registry();
  private readonly scansRunning = new Gauge({
    name: 'opendoor_scans_running',
    help: 'Scans running now (any process on this store)',
    registers: [this.registry],
  });
  private readonly scansQueued = new Gauge({
    name: 'opendoor_scans_queued',
    help: 'Scans waiting to run (for this server on SQLite, for workers on PostgreSQL)',
    registers: [this.registry],
  });
  private readonly hostsDone = new Counter({
    name: 'opendoor_hosts_done_total',
    help: 'Hosts finished by the scans of this store (opted-out targets are not hosts done)',
    registers: [this.registry],
  });
  private readonly probes = new Counter({
    name: 'opendoor_probes_total',
    help: 'Service probes finished by the scans of this store: one per open port, each a service record; rate() is probes per second',
    registers: [this.registry],
  });
  private readonly alertsPending = new Gauge({
    name: 'opendoor_alerts_pending',
    help: "Monitors' alerts whose webhook has not taken them yet, attempts left",
    registers: [this.registry],
  });
  private readonly queueDepth = new Gauge({
    name: 'opendoor_queue_depth',
    help: 'Slices of queued scans not done yet, waiting or held by a worker (PostgreSQL; always 0 on SQLite)',
    registers: [this.registry],
  });
  private readonly storeSeconds = new Histogram({
    name: 'opendoor_store_seconds',
    help: "This process's calls to the store, by operation, from call to answer",
    labelNames: ['operation'],
    buckets: STORE_BUCKETS,
    registers: [this.registry],
  });

  /** `alertAttempts`: the webhook attempts an alert has; one with fewer made and none taken is pending. */
  constructor(private readonly alertAttempts: number) {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Told of every store call this process makes (timedStore). */
  readonly observe: StoreObserver = (operation, seconds) => this.storeSeconds.observe({ operation }, seconds);

  /** The store with its calls timed into this registry: the one this process hands on to everyone. */
  timed(store: Store): Store {
    return timedStore(store, this.observe);
  }

  /** The figures as Prometheus' text, read from the store now. */
  async scrape(store: Store): Promise<string> {
    const scans = await store.listScans();
    let running = 0;
    let queued = 0;
    let hosts = 0;
    let probes = 0;
    for (const s of scans) {
      if (s.status === 'running') running++;
      if (s.status === 'queued') queued++;
      hosts += Number(s.hostsDone);
      probes += Number(s.services);
    }
    this.scansRunning.set(running);
    this.scansQueued.set(queued);
    // counters as the store counts them: set to its total (monotonic while scans are not removed)
    this.hostsDone.reset();
    this.hostsDone.inc(hosts);
    this.probes.reset();
    this.probes.inc(probes);
    this.alertsPending.set(await store.monitors.pendingAlerts(this.alertAttempts));
    this.queueDepth.set(await store.slices.open());
    return this.registry.metrics();
  }
}

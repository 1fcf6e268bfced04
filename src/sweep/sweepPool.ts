/**
 * The sweep, in worker threads when the scan is large enough to pay for them: each request is a
 * batch of hosts, answered with each host's open ports; the least busy worker gets the next
 * batch. A worker that dies fails its batches (those hosts stay resumable) and is dropped; with
 * none left, the calling thread sweeps.
 */
import type { Worker } from 'node:worker_threads';
import { ConnectSweeper, type SweepJob, type SweepResult } from './connectSweep.js';
import type { RateLimiter } from './rate.js';
import type { SweepReply, SweepRequest, SweepWorkerData } from './sweepWorker.js';

interface Lane {
  worker: Worker;
  jobs: number;
}

export interface SweepPoolOptions {
  rate: RateLimiter;
  timeoutMs: number;
  /** Connects in flight, all threads together. */
  inFlight: number;
  /** 0: sweep on the calling thread. */
  threads: number;
}

export class SweepPool {
  private lanes: Lane[];
  private readonly pending = new Map<
    number,
    { resolve: (r: SweepResult[]) => void; reject: (e: Error) => void; lane: Lane; jobs: number }
  >();
  private next = 0;
  private local: ConnectSweeper | null = null;

  constructor(private readonly o: SweepPoolOptions) {
    const data: SweepWorkerData = {
      rate: o.rate.buffer,
      perSecond: o.rate.perSecond,
      timeoutMs: o.timeoutMs,
      inFlight: Math.max(16, Math.ceil(o.inFlight / Math.max(1, o.threads))),
    };
    this.lanes = Array.from({ length: o.threads }, () => {
      // small heaps: a sweep worker holds sockets, not data
      const worker = new (process.getBuiltinModule('node:worker_threads').Worker)(
        new URL('./sweepWorker.js', import.meta.url),
        {
          workerData: data,
          resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 64 },
        },
      );
      const lane: Lane = { worker, jobs: 0 };
      worker.on('message', (reply: SweepReply) => {
        const p = this.pending.get(reply.id);
        if (p === undefined) return;
        this.pending.delete(reply.id);
        lane.jobs -= p.jobs;
        p.resolve(reply.results);
      });
      worker.on('error', (e) => this.drop(lane, e));
      worker.on('exit', () => this.drop(lane, new Error('sweep worker exited')));
      return lane;
    });
  }

  private drop(lane: Lane, e: Error): void {
    this.lanes = this.lanes.filter((l) => l !== lane);
    for (const [id, p] of this.pending) {
      if (p.lane !== lane) continue;
      this.pending.delete(id);
      p.reject(e);
    }
  }

  sweep(jobs: SweepJob[]): Promise<SweepResult[]> {
    let lane: Lane | undefined;
    for (const l of this.lanes) if (lane === undefined || l.jobs < lane.jobs) lane = l;
    if (lane === undefined) {
      this.local ??= new ConnectSweeper(this.o.rate, this.o.timeoutMs, this.o.inFlight);
      return this.local.sweep(jobs);
    }
    const id = this.next++;
    const chosen = lane;
    chosen.jobs += jobs.length;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, lane: chosen, jobs: jobs.length });
      chosen.worker.postMessage({ id, jobs } satisfies SweepRequest);
    });
  }

  get size(): number {
    return this.lanes.length;
  }

  /** For tests: what happens when a worker dies mid-scan. */
  async killOne(): Promise<void> {
    await this.lanes[0]?.worker.terminate();
  }

  async close(): Promise<void> {
    const all = this.lanes;
    this.lanes = [];
    await Promise.all(all.map((l) => l.worker.terminate()));
  }
}

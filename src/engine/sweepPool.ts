/**
 * A small pool of sweep worker threads; each request is one host's port list, answered with its
 * open ports. A worker that dies fails its requests (those hosts stay resumable) and is dropped;
 * with none left, sweeps run on the calling thread.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { sweepPorts, type SweepResult } from './sweepPorts.js';
import type { SweepReply, SweepRequest } from './sweepWorker.js';

export class SweepPool {
  private workers: Worker[];
  private readonly pending = new Map<number, { resolve: (r: SweepReply) => void; reject: (e: Error) => void; worker: Worker }>();
  private next = 0;
  private turn = 0;

  constructor(size = Number(process.env['OPENDOOR_SWEEP_WORKERS'] ?? Math.max(1, Math.min(4, os.availableParallelism())))) {
    this.workers = Array.from({ length: size }, () => {
      // small heaps: a sweep worker holds sockets, not data
      const w = new Worker(new URL('./sweepWorker.js', import.meta.url), { resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 64 } });
      w.on('message', (reply: SweepReply) => {
        const p = this.pending.get(reply.id);
        this.pending.delete(reply.id);
        p?.resolve(reply);
      });
      w.on('error', (e) => this.failAll(w, e));
      w.on('exit', () => this.failAll(w, new Error('sweep worker exited')));
      return w;
    });
  }

  private failAll(worker: Worker, e: Error): void {
    this.workers = this.workers.filter((w) => w !== worker);
    for (const [id, p] of this.pending) {
      if (p.worker !== worker) continue;
      this.pending.delete(id);
      p.reject(e);
    }
  }

  sweep(host: string, ports: number[], timeoutMs: number): Promise<SweepResult> {
    const worker = this.workers[this.turn++ % Math.max(1, this.workers.length)];
    if (worker === undefined) return sweepPorts(host, ports, timeoutMs);
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker });
      worker.postMessage({ id, host, ports, timeoutMs } satisfies SweepRequest);
    });
  }

  get size(): number {
    return this.workers.length;
  }

  /** For tests: what happens when a worker dies mid-scan. */
  async killOne(): Promise<void> {
    await this.workers[0]?.terminate();
  }

  async close(): Promise<void> {
    const all = this.workers;
    this.workers = [];
    await Promise.all(all.map((w) => w.terminate()));
  }
}

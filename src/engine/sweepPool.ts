/** A small pool of sweep worker threads; each request is one host's port list, answered with its open ports. */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { SweepReply, SweepRequest } from './sweepWorker.js';

export class SweepPool {
  private readonly workers: Worker[];
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
    for (const [id, p] of this.pending) {
      if (p.worker !== worker) continue;
      this.pending.delete(id);
      p.reject(e);
    }
  }

  sweep(host: string, ports: number[], timeoutMs: number): Promise<SweepReply> {
    const worker = this.workers[this.turn++ % this.workers.length] as Worker;
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker });
      worker.postMessage({ id, host, ports, timeoutMs } satisfies SweepRequest);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

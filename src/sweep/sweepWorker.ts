/**
 * A sweep worker thread: the port sweep off the main thread (closed ports are the bulk of a large
 * scan, and one thread tops out at about 35 k connects a second). It spends the scan's shared
 * rate budget, so the workers together keep to --rate.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ConnectSweeper, type SweepJob, type SweepResult } from './connectSweep.js';
import { RateLimiter } from './rate.js';

export interface SweepWorkerData {
  rate: SharedArrayBuffer;
  perSecond: number;
  timeoutMs: number;
  inFlight: number;
}

export interface SweepRequest {
  id: number;
  jobs: SweepJob[];
}

export interface SweepReply {
  id: number;
  results: SweepResult[];
}

const d = workerData as SweepWorkerData;
const sweeper = new ConnectSweeper(new RateLimiter(d.perSecond, d.rate), d.timeoutMs, d.inFlight);
parentPort?.on('message', (rq: SweepRequest) => {
  void sweeper.sweep(rq.jobs).then((results) => parentPort?.postMessage({ id: rq.id, results } satisfies SweepReply));
});

/**
 * A sweep worker thread: the port sweep off the main thread (closed ports are the bulk of a large
 * scan, and one Node thread tops out at about 20 k connects a second).
 */
import { parentPort } from 'node:worker_threads';
import { sweepPorts, type SweepResult } from './sweepPorts.js';

export interface SweepRequest {
  id: number;
  host: string;
  ports: number[];
  timeoutMs: number;
}

export interface SweepReply extends SweepResult {
  id: number;
}

parentPort?.on('message', (rq: SweepRequest) => {
  void sweepPorts(rq.host, rq.ports, rq.timeoutMs).then((r) => parentPort?.postMessage({ id: rq.id, ...r } satisfies SweepReply));
});

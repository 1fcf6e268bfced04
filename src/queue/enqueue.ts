/**
 * `scan … --enqueue`: the scan is stored as queued and cut into slices of its seeded permutation
 * (sized so a slice takes seconds to a minute, and a small scan still spreads over workers), each
 * one job on the queue; workers on any number of machines do the rest.
 */
import type { ScanJob } from '../engine/job.js';
import { planSteps } from '../engine/plan.js';
import { StoreError } from '../store/store.js';
import type { Logger } from '../util/log.js';
import { openQueue } from './queue.js';

/** Steps of the permutation in one slice: at most this many… */
const MAX_SLICE = 1024n;
/** …at least this many… */
const MIN_SLICE = 4n;
/** …and a scan is cut into at least this many slices when it has the steps for them… */
const SPREAD = 64n;
/** …and at most this many (a /8 is 16,384 slices of 1,024; beyond, slices grow instead). */
export const MAX_SLICES = 262_144n;

const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;
// biome-ignore lint/complexity/useMathMinMax: Math.max takes no bigint
const max = (...xs: bigint[]) => xs.reduce((a, b) => (a > b ? a : b));
// biome-ignore lint/complexity/useMathMinMax: Math.min takes no bigint
const min = (...xs: bigint[]) => xs.reduce((a, b) => (a < b ? a : b));

/** Steps in each slice of a walk of `steps` (rounded down, so a walk of 64 × 4 steps or more makes 64 slices at least). */
export function sliceSize(steps: bigint): bigint {
  return max(min(max(steps / SPREAD, MIN_SLICE), MAX_SLICE), ceilDiv(steps, MAX_SLICES));
}

export function cutSlices(steps: bigint): Array<{ from: bigint; to: bigint }> {
  const step = sliceSize(steps);
  const out: Array<{ from: bigint; to: bigint }> = [];
  for (let from = 0n; from < steps; from += step) out.push({ from, to: from + step < steps ? from + step : steps });
  return out;
}

/** The scan stored as queued, cut into slices, each a job on the store's queue; answers how many. */
export async function enqueueScan(job: ScanJob, log: Logger): Promise<number> {
  const { store, id: scanId } = job;
  if (store.queue === null) throw new StoreError(`${store.where} holds no work queue`);
  const slices = cutSlices(planSteps(job.plan));
  await job.begin('queued');
  await store.slices.add(scanId, slices);
  if (slices.length === 0) {
    await store.slices.completeScan(scanId, 0, 0); // nothing in scope: done at once
    return 0;
  }
  const queue = await openQueue(store.queue.url, log);
  try {
    await queue.send(scanId, slices.length);
  } finally {
    await queue.stop();
  }
  return slices.length;
}

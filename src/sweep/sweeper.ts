/**
 * Which sweep a scan gets: the native helpers when they were built (dist/native/opendoor-sweep),
 * otherwise JavaScript — worker threads for large scans, the calling thread for small ones.
 * A small scan sweeps on the calling thread. OPENDOOR_SWEEPER=js forces JavaScript, =native the helpers.
 */
import type { SweepJob, SweepResult } from './connectSweep.js';
import { NativeSweeper, helperAvailable } from './nativeSweep.js';
import type { RateLimiter } from './rate.js';
import { SweepPool } from './sweepPool.js';

export interface Sweeper {
  sweep(jobs: SweepJob[]): Promise<SweepResult[]>;
  /** Ends the sweep once what it holds is answered. */
  close(): Promise<void>;
}

export interface SweeperOptions {
  rate: RateLimiter;
  timeoutMs: number;
  /** Connects in flight, all together. */
  inFlight: number;
  /** Processes or threads to spread the sweep over; 0: a small scan, one helper or the calling thread. */
  parallel: number;
  /** Connects the scan plans (hosts × ports), or null when unknown (a stream of targets). */
  connects: bigint | null;
}

/**
 * Below this many planned connects a scan sweeps on the calling thread: spawning the helper costs
 * more (about 40 ms on these machines) than the JavaScript sweep of a few thousand connects.
 */
export const HELPER_FROM_CONNECTS = 2048n;

/** OPENDOOR_SWEEPER=js or =native forces one; otherwise the helper for any scan that is not small. */
function wantsHelper(o: SweeperOptions): boolean {
  const forced = process.env['OPENDOOR_SWEEPER'];
  if (forced === 'js' || !helperAvailable()) return false;
  return forced === 'native' || o.parallel > 0 || o.connects === null || o.connects >= HELPER_FROM_CONNECTS;
}

export function openSweeper(o: SweeperOptions): Sweeper & { kind: 'native' | 'js' } {
  if (wantsHelper(o)) {
    // no threads: the pool sweeps on the calling thread, and only once it is asked to
    const local = new SweepPool({ ...o, threads: 0 });
    const fallback = (jobs: SweepJob[]) => local.sweep(jobs);
    return Object.assign(new NativeSweeper({ ...o, processes: Math.max(1, o.parallel), fallback }), {
      kind: 'native' as const,
    });
  }
  return Object.assign(new SweepPool({ ...o, threads: o.parallel }), { kind: 'js' as const });
}

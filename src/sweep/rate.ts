/**
 * The scan-wide bound on new connections per second: one token bucket (as GCRA, a single
 * "theoretical arrival time") in shared memory, so the main thread's probes and every sweep
 * worker draw from the same budget without messages. A tenth of a second's worth may be spent at
 * once; after that connections are spaced 1/rate apart.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** Microseconds on a clock every thread of the process shares. */
function nowUs(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
}

export class RateLimiter {
  private readonly tat: BigInt64Array;
  private readonly intervalUs: bigint;
  private readonly toleranceUs: bigint;
  private readonly unlimited: boolean;
  /** Connections that may go at once (a tenth of a second's worth); Infinity without a limit. */
  readonly burst: number;

  /**
   * perSecond ≤ 0 or not finite: no limit. `shared` is another limiter's `buffer` (from a worker's
   * workerData): both then spend one budget.
   */
  constructor(
    readonly perSecond: number,
    shared?: SharedArrayBuffer,
  ) {
    this.unlimited = !Number.isFinite(perSecond) || perSecond <= 0;
    const interval = this.unlimited ? 0 : Math.max(1, Math.round(1e6 / perSecond));
    this.burst = this.unlimited ? Infinity : Math.max(1, Math.floor(perSecond / 10));
    this.intervalUs = BigInt(interval);
    this.toleranceUs = this.unlimited ? 0n : BigInt(interval) * BigInt(this.burst - 1);
    this.tat = new BigInt64Array(shared ?? new SharedArrayBuffer(8));
  }

  get buffer(): SharedArrayBuffer {
    return this.tat.buffer as SharedArrayBuffer;
  }

  /**
   * Spends n connections (n at most a burst) if the budget allows it now (0); otherwise the
   * milliseconds to wait, nothing spent.
   */
  tryTake(n = 1): number {
    if (this.unlimited) return 0;
    const now = nowUs();
    for (;;) {
      const tat = Atomics.load(this.tat, 0);
      // biome-ignore lint/complexity/useMathMinMax: bigint, which Math.max does not take
      const base = tat > now ? tat : now;
      const ahead = base - now - this.toleranceUs;
      if (ahead > 0n) return Number(ahead) / 1000;
      if (Atomics.compareExchange(this.tat, 0, tat, base + this.intervalUs * BigInt(n)) === tat) return 0;
    }
  }

  /** Resolves when one more connection may be opened. */
  async take(): Promise<void> {
    for (let wait = this.tryTake(); wait > 0; wait = this.tryTake()) await sleep(Math.max(1, Math.ceil(wait)));
  }
}

/**
 * Bounds shared by a whole scan: a token bucket for new connections per second and a counting
 * semaphore for work in flight. Both are plain promises, no polling.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export class RateLimiter {
  private tokens: number;
  private last = performance.now();
  private queue: Promise<void> = Promise.resolve();

  /** perSecond tokens a second, at most `burst` saved up (default: a tenth of a second's worth, at least 1). */
  constructor(
    private readonly perSecond: number,
    private readonly burst = Math.max(1, Math.floor(perSecond / 10)),
  ) {
    this.tokens = this.burst;
  }

  /** Resolves when one more connection may be opened (callers are served in order). */
  take(): Promise<void> {
    if (!Number.isFinite(this.perSecond) || this.perSecond <= 0) return Promise.resolve();
    const turn = this.queue.then(async () => {
      const now = performance.now();
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perSecond) / 1000);
      this.last = now;
      if (this.tokens < 1) {
        await sleep(((1 - this.tokens) * 1000) / this.perSecond);
        this.tokens = 1;
        this.last = performance.now();
      }
      this.tokens -= 1;
    });
    this.queue = turn;
    return turn;
  }
}

export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    // a released slot is handed straight to the next waiter, so `active` never overshoots
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.active--;
    }
  }
}

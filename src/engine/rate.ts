/**
 * Bounds shared by a whole scan: a token bucket for new connections per second and a counting
 * semaphore for work in flight. Both are plain promises, no polling.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export class RateLimiter {
  private next = 0;
  constructor(private readonly perSecond: number) {}

  /** Resolves when one more connection may be opened. */
  async take(): Promise<void> {
    if (!Number.isFinite(this.perSecond) || this.perSecond <= 0) return;
    const interval = 1000 / this.perSecond;
    const now = performance.now();
    const at = Math.max(now, this.next);
    this.next = at + interval;
    if (at > now) await sleep(at - now);
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

/**
 * The port sweep: many TCP connects at once, each closed the moment it is answered (an accepted
 * connection is reset, so neither side keeps TIME_WAIT state). Hosts arrive in batches; a batch
 * resolves with the open ports of each host. Bounded: at most `maxInFlight` connects, each paid
 * for in the shared rate budget, each given up after the timeout (one timer for all of them).
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { isIPv6 } from 'node:net';
import type { RateLimiter } from './rate.js';
import { pickConnector, type Connector, type ConnectOutcome } from './connector.js';

export interface SweepJob {
  host: string;
  ports: number[];
}

export interface SweepResult {
  open: number[];
  /** Ports that neither accepted nor refused in time (filtered, or a host that is down). */
  slow: number[];
}

interface Batch {
  results: SweepResult[];
  left: number;
  resolve: (r: SweepResult[]) => void;
}

interface Attempt {
  batch: Batch;
  hostIndex: number;
  host: string;
  v6: boolean;
  port: number;
  tries: number;
  deadline: number;
  cancel: (() => void) | null;
}

/** Local resource shortage (descriptors, ephemeral ports): the port was not probed, so try again. */
const MAX_TRIES = 5;
const RETRY_MS = 25;

export class ConnectSweeper {
  private readonly queue: Attempt[] = [];
  private head = 0;
  /** In-flight attempts in start order: with one timeout for all, the oldest expires first. */
  private readonly flying: Array<{ a: Attempt; deadline: number }> = [];
  private flyingHead = 0;
  private inFlight = 0;
  private pumpTimer: NodeJS.Timeout | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly rate: RateLimiter,
    private readonly timeoutMs: number,
    private readonly maxInFlight: number,
    private readonly connector: Connector = pickConnector(),
  ) {}

  get backend(): string {
    return this.connector.name;
  }

  sweep(jobs: readonly SweepJob[]): Promise<SweepResult[]> {
    return new Promise((resolve) => {
      const batch: Batch = { results: jobs.map(() => ({ open: [], slow: [] })), left: 0, resolve };
      jobs.forEach((job, hostIndex) => {
        const v6 = isIPv6(job.host);
        for (const port of job.ports) {
          this.queue.push({ batch, hostIndex, host: job.host, v6, port, tries: 0, deadline: 0, cancel: null });
          batch.left++;
        }
      });
      if (batch.left === 0) resolve(batch.results);
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.head < this.queue.length) {
      const wait = this.rate.tryTake();
      if (wait > 0) {
        this.pumpTimer ??= setTimeout(
          () => {
            this.pumpTimer = null;
            this.pump();
          },
          Math.max(1, Math.ceil(wait)),
        );
        return;
      }
      const a = this.queue[this.head++] as Attempt;
      this.start(a);
    }
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }

  private start(a: Attempt): void {
    this.inFlight++;
    a.tries++;
    a.deadline = performance.now() + this.timeoutMs;
    this.flying.push({ a, deadline: a.deadline });
    a.cancel = this.connector.connect(a.host, a.v6, a.port, (outcome) => this.settle(a, outcome));
    // unref'd: the connects in flight keep the process alive; a deadline timer left over once they
    // have all settled must not (it held every scan's exit for a timeout)
    this.expiryTimer ??= setTimeout(() => this.expire(), this.timeoutMs + 1).unref();
  }

  private settle(a: Attempt, outcome: ConnectOutcome | 'timeout'): void {
    if (a.cancel === null) return;
    a.cancel = null;
    this.inFlight--;
    if (outcome === 'retry' && a.tries < MAX_TRIES) {
      setTimeout(() => {
        this.queue.push(a);
        this.pump();
      }, RETRY_MS * a.tries);
      return;
    }
    const r = a.batch.results[a.hostIndex] as SweepResult;
    if (outcome === 'open') r.open.push(a.port);
    else if (outcome !== 'refused') r.slow.push(a.port);
    if (--a.batch.left === 0) {
      for (const x of a.batch.results) x.open.sort((p, q) => p - q);
      a.batch.resolve(a.batch.results);
    }
    this.pump();
  }

  /** Gives up on attempts past their deadline; runs only while something is in flight. */
  private expire(): void {
    this.expiryTimer = null;
    const now = performance.now();
    while (this.flyingHead < this.flying.length) {
      const { a, deadline } = this.flying[this.flyingHead] as { a: Attempt; deadline: number };
      const live = a.cancel !== null && a.deadline === deadline; // not settled, nor restarted since
      if (live && deadline > now) break;
      this.flyingHead++;
      if (live && a.cancel !== null) {
        a.cancel();
        this.settle(a, 'timeout');
      }
    }
    if (this.flyingHead > 4096 && this.flyingHead * 2 > this.flying.length) {
      this.flying.splice(0, this.flyingHead);
      this.flyingHead = 0;
    }
    const next = this.flying[this.flyingHead];
    if (next !== undefined)
      this.expiryTimer = setTimeout(() => this.expire(), Math.max(1, next.deadline - now + 1)).unref();
  }
}

/**
 * Connects in flight for a whole scan: enough for the rate at this timeout, within the process's
 * descriptor limit (with room left for the probes and the database).
 */
export function sweepInFlight(rate: number, timeoutMs: number, fdLimit: number): number {
  const wanted = Number.isFinite(rate) && rate > 0 ? Math.ceil((rate * timeoutMs) / 1000) : 65536;
  return Math.max(16, Math.min(Math.max(256, wanted), fdLimit - 512, 65536));
}

/** The soft limit on open descriptors (Linux: /proc/self/limits); 1024 where it cannot be read. */
export function fdLimit(): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m === null ? 1024 : m[1] === 'unlimited' ? 1 << 20 : Number(m[1]);
  } catch {
    return 1024;
  }
}

/** Worker threads worth starting for the sweep: one per core, at most four. */
export function sweepThreads(): number {
  return Math.max(1, Math.min(4, cpus().length));
}

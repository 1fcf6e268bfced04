/**
 * The port sweep in opendoor-sweep helper processes (native/sweep.c, built with the project): one
 * per core, each an epoll loop of non-blocking connects, fed over a pipe. They do in the kernel's
 * time alone what a Node thread does with its own overhead on top: measured on loopback, one
 * helper makes 50 k connects a second where a Node thread makes 30 k. This side keeps the
 * budget: a job (one host, at most a burst's worth of ports) is written only once the shared
 * rate limiter grants its connects, and a helper never holds more than twice its connects in
 * flight. A helper that dies fails its batches (those hosts stay open for --resume) and is
 * dropped; with none left the JavaScript sweep takes over.
 */
import type { ChildProcessByStdio } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { RateLimiter } from './rate.js';
import { parseAddress } from '../targets/address.js';
import type { SweepJob, SweepResult } from './connectSweep.js';

export const HELPER_PATH = fileURLToPath(new URL('../../native/opendoor-sweep', import.meta.url));

export function helperAvailable(): boolean {
  return process.env['OPENDOOR_SWEEPER'] !== 'js' && existsSync(HELPER_PATH);
}

interface Batch {
  results: SweepResult[];
  left: number;
  resolve: (r: SweepResult[]) => void;
  reject: (e: Error) => void;
}

interface Chunk {
  batch: Batch;
  host: number;
  ports: number;
  helper: Helper;
}

interface Helper {
  child: ChildProcessByStdio<Writable, Readable, Readable>;
  /** Connects written and not yet answered. */
  held: number;
  stderr: string;
  /** When it last answered (or was last idle): a helper holding work that stays silent is hung. */
  heard: number;
}

export interface NativeSweepOptions {
  rate: RateLimiter;
  timeoutMs: number;
  /** Connects in flight, all helpers together. */
  inFlight: number;
  processes: number;
  /** Called when the last helper is gone, to sweep on without them. */
  fallback: (jobs: SweepJob[]) => Promise<SweepResult[]>;
}

function encode(id: number, host: string, ports: readonly number[]): Buffer | null {
  const a = parseAddress(host);
  if (a === null) return null;
  const alen = a.family === 6 ? 16 : 4;
  const b = Buffer.allocUnsafe(6 + alen + 2 * ports.length);
  b.writeUInt32LE(id, 0);
  b[4] = a.family;
  b[5] = ports.length;
  for (let i = 0; i < alen; i++) b[6 + i] = Number((a.value >> BigInt(8 * (alen - 1 - i))) & 0xffn);
  for (const [i, p] of ports.entries()) b.writeUInt16LE(p, 6 + alen + 2 * i);
  return b;
}

export class NativeSweeper {
  private helpers: Helper[] = [];
  private readonly chunks = new Map<number, Chunk>();
  private nextId = 0;
  private readonly perHelper: number;
  /** Ports per job: at most 255 (the wire format), at most a burst of the rate budget. */
  private readonly chunkPorts: number;
  private waiting: Array<() => void> = [];

  constructor(private readonly o: NativeSweepOptions) {
    this.perHelper = Math.max(16, Math.ceil(o.inFlight / o.processes));
    this.chunkPorts = Math.min(255, o.rate.burst);
    for (let i = 0; i < o.processes; i++) this.helpers.push(this.startHelper());
    // every connect ends within the timeout, so a helper that holds work and says nothing for
    // several timeouts is hung: killed, its batches fail and are swept again elsewhere
    const hungAfter = 3 * o.timeoutMs + 5000;
    this.watchdog = setInterval(() => {
      const now = performance.now();
      for (const h of this.helpers) {
        if (h.held === 0) h.heard = now;
        else if (now - h.heard > hungAfter) h.child.kill('SIGKILL');
      }
    }, 1000);
    this.watchdog.unref();
  }

  private readonly watchdog: NodeJS.Timeout;

  private startHelper(): Helper {
    const child = process
      .getBuiltinModule('node:child_process')
      .spawn(HELPER_PATH, [String(this.o.timeoutMs), String(this.perHelper)], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
    const h: Helper = { child, held: 0, stderr: '', heard: performance.now() };
    let pending: Buffer = Buffer.alloc(0);
    child.stdout.on('data', (b: Buffer) => {
      pending = pending.length === 0 ? b : Buffer.concat([pending, b]);
      let off = 0;
      while (pending.length - off >= 6) {
        const nOpen = pending[off + 4] as number;
        const nSlow = pending[off + 5] as number;
        const end = off + 6 + 2 * (nOpen + nSlow);
        if (pending.length < end) break;
        const open: number[] = [];
        const slow: number[] = [];
        for (let i = 0; i < nOpen + nSlow; i++) (i < nOpen ? open : slow).push(pending.readUInt16LE(off + 6 + 2 * i));
        this.answered(pending.readUInt32LE(off), open, slow);
        off = end;
      }
      pending = pending.subarray(off);
    });
    child.stderr.on('data', (b: Buffer) => (h.stderr = (h.stderr + b.toString()).slice(-500)));
    child.stdin.on('error', () => undefined); // a dead helper is handled on 'exit'
    child.on('error', (e) => this.drop(h, e));
    child.on('exit', (code, signal) =>
      this.drop(
        h,
        new Error(`sweep helper exited (${signal ?? code})${h.stderr !== '' ? `: ${h.stderr.trim()}` : ''}`),
      ),
    );
    return h;
  }

  private answered(id: number, open: number[], slow: number[]): void {
    const c = this.chunks.get(id);
    if (c === undefined) return;
    this.chunks.delete(id);
    c.helper.held -= c.ports;
    c.helper.heard = performance.now();
    this.freed();
    const r = c.batch.results[c.host] as SweepResult;
    r.open.push(...open);
    r.slow.push(...slow);
    if (--c.batch.left === 0) c.batch.resolve(c.batch.results);
  }

  private freed(): void {
    const w = this.waiting;
    this.waiting = [];
    for (const wake of w) wake();
  }

  private drop(h: Helper, e: Error): void {
    if (!this.helpers.includes(h)) return;
    this.helpers = this.helpers.filter((x) => x !== h);
    for (const [id, c] of this.chunks) {
      if (c.helper !== h) continue;
      this.chunks.delete(id);
      c.batch.left = -1; // failed: later answers for its other chunks are ignored
      c.batch.reject(e);
    }
    this.freed();
  }

  get size(): number {
    return this.helpers.length;
  }

  async sweep(jobs: SweepJob[]): Promise<SweepResult[]> {
    if (this.helpers.length === 0) return this.o.fallback(jobs);
    const results: SweepResult[] = jobs.map(() => ({ open: [], slow: [] }));
    const answered = await new Promise<SweepResult[]>((resolve, reject) => {
      // left starts at 1 for the feed itself, so the batch cannot end before its last job is written
      const batch: Batch = { results, left: 1, resolve, reject };
      void this.feed(jobs, batch).then(
        () => --batch.left === 0 && resolve(results),
        (e: unknown) => reject(e instanceof Error ? e : new Error(String(e))),
      );
    });
    for (const r of answered) r.open.sort((p, q) => p - q); // a host's ports may come back in several jobs
    return answered;
  }

  /** Writes the batch's jobs as the rate budget and the helpers' room allow. */
  private async feed(jobs: SweepJob[], batch: Batch): Promise<void> {
    for (const [host, job] of jobs.entries()) {
      for (let from = 0; from < job.ports.length; from += this.chunkPorts) {
        if (batch.left < 0) return;
        const ports = job.ports.slice(from, from + this.chunkPorts);
        let helper = this.leastHeld();
        while (helper !== null && helper.held + ports.length > 2 * this.perHelper && helper.held > 0) {
          await new Promise<void>((r) => this.waiting.push(r));
          helper = this.leastHeld();
        }
        for (let wait = this.o.rate.tryTake(ports.length); wait > 0; wait = this.o.rate.tryTake(ports.length))
          await sleep(Math.max(1, Math.ceil(wait)));
        // chosen again after the waits, with nothing awaited until the job is on its way: a helper
        // that died meanwhile is never written to (its answers would never come)
        helper = this.leastHeld();
        if (helper === null) throw new Error('no sweep helper left');
        const id = this.nextId++ >>> 0;
        const wire = encode(id, job.host, ports);
        if (wire === null) continue; // not an address (cannot happen for planned targets): nothing to ask
        this.chunks.set(id, { batch, host, ports: ports.length, helper });
        batch.left++;
        helper.held += ports.length;
        const child = helper.child;
        if (!child.stdin.write(wire)) {
          await new Promise<void>((r) => {
            const done = (): void => {
              child.stdin.off('drain', done);
              child.off('exit', done);
              r();
            };
            child.stdin.once('drain', done);
            child.once('exit', done);
          });
        }
      }
    }
  }

  private leastHeld(): Helper | null {
    let best: Helper | null = null;
    for (const h of this.helpers) if (best === null || h.held < best.held) best = h;
    return best;
  }

  /** Lets the helpers finish what they hold (a helper that does not end within a timeout is killed). */
  async close(): Promise<void> {
    clearInterval(this.watchdog);
    const all = this.helpers;
    this.helpers = [];
    await Promise.all(
      all.map(
        (h) =>
          new Promise<void>((resolve) => {
            if (h.child.exitCode !== null || h.child.signalCode !== null) return resolve();
            h.child.once('exit', () => resolve());
            h.child.stdin.end();
            setTimeout(() => h.child.kill('SIGKILL'), this.o.timeoutMs + 1000).unref();
          }),
      ),
    );
  }

  /** For tests: the helpers' process ids. */
  /** The helpers' process ids (only helpers that started: never a placeholder such as -1, which kill() reads as "every process"). */
  pids(): number[] {
    return this.helpers.flatMap((h) => (h.child.pid !== undefined && h.child.pid > 0 ? [h.child.pid] : []));
  }

  /** For tests: what happens when a helper dies mid-scan. */
  killOne(): void {
    this.helpers[0]?.child.kill('SIGKILL');
  }
}

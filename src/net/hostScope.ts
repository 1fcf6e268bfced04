/**
 * What one host's work holds open, so that a watchdog outside that work can end it without its
 * cooperation. The work runs inside a HostScope (AsyncLocalStorage): every socket our connect
 * functions open and every HTTP agent is registered with the scope of the code that opened it,
 * and kill() destroys them all. Probes also note the step they are in, for a stuck scan to say
 * what it waits for (SIGUSR1, the progress line, a host-deadline record).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface HostActivity {
  host: string;
  /** The port being probed, once one is. */
  port: number | null;
  step: string;
  ageMs: number;
}

export class HostScope {
  readonly started = performance.now();
  port: number | null = null;
  step = 'starting';
  private readonly closers = new Set<() => void>();
  private dead = false;

  constructor(readonly host: string) {}

  get killed(): boolean {
    return this.dead;
  }

  activity(): HostActivity {
    return { host: this.host, port: this.port, step: this.step, ageMs: Math.round(performance.now() - this.started) };
  }

  /** Run work inside this scope: what it opens belongs to this host. */
  run<T>(work: () => Promise<T>): Promise<T> {
    return storage.run(this, work);
  }

  /** Registers a way to close something; returns its release (call when it closed by itself). */
  own(close: () => void): () => void {
    if (this.dead) {
      close();
      return () => undefined;
    }
    this.closers.add(close);
    return () => this.closers.delete(close);
  }

  /** Destroys everything the host's work holds open; whatever it opens later is closed at once. */
  kill(): void {
    this.dead = true;
    for (const close of this.closers) {
      try {
        close();
      } catch {
        // already closed
      }
    }
    this.closers.clear();
  }
}

const storage = new AsyncLocalStorage<HostScope>();

/** The scope of the running code, if it runs inside one. */
export function currentScope(): HostScope | undefined {
  return storage.getStore();
}

/** The current host's work was cut off by its deadline: nothing more should be tried (no pause, no retry). */
export function abandoned(): boolean {
  return storage.getStore()?.killed === true;
}

/** Notes the step the current host's work is in (no-op outside a scope). */
export function enterStep(step: string, port?: number): void {
  const s = storage.getStore();
  if (s === undefined) return;
  s.step = step;
  if (port !== undefined) s.port = port;
}

/** A socket (or anything with destroy) owned by the current host's work until it closes. */
export function ownSocket(socket: {
  destroy(error?: Error): void;
  once(event: 'close' | 'error', cb: () => void): unknown;
}): void {
  const s = storage.getStore();
  if (s === undefined) return;
  // destroyed with an error, so that a connect still under way settles at once instead of at its
  // timeout; the error is expected, so it never goes uncaught where nobody listens
  const release = s.own(() => {
    socket.once('error', () => undefined);
    socket.destroy(Object.assign(new Error('host deadline reached'), { code: 'EHOSTDEADLINE' }));
  });
  socket.once('close', release);
}

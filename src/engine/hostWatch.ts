/**
 * The host watchdog: every host's work runs inside its own HostScope under a hard deadline
 * computed from the scan's bounds. The deadline is enforced from outside the work — a timer that
 * needs nothing from the code it guards — and when it fires the host's sockets and HTTP agents
 * are destroyed and the caller gets the step the work was in, so the scan records the host and
 * goes on. Time spent waiting for the shared connection rate budget extends the deadline (that
 * wait is the scan's pace, not the host's). The hosts in flight can be listed at any time.
 */
import { HostScope, type HostActivity } from '../net/hostScope.js';

/** Added to every host's computed bound: process scheduling, database writes, a busy machine. */
export const HOST_DEADLINE_SLACK_MS = 5000;

export class HostWatch {
  private readonly scopes = new Set<HostScope>();
  private readonly waits = new WeakMap<HostScope, number>();

  /** Hosts in flight, oldest first. */
  activities(): HostActivity[] {
    return [...this.scopes].map((s) => s.activity()).sort((a, b) => b.ageMs - a.ageMs);
  }

  /** One line per host in flight, for SIGUSR1 and a stuck scan. */
  describe(): string {
    const list = this.activities();
    if (list.length === 0) return 'opendoor: no host in flight\n';
    const lines = list.map(
      (a) => `  ${a.host}${a.port !== null ? `:${a.port}` : ''}  ${a.step}  ${(a.ageMs / 1000).toFixed(1)} s`,
    );
    return `opendoor: ${list.length} host(s) in flight (address, step, age):\n${lines.join('\n')}\n`;
  }

  /** Counts a wait for the rate budget towards the current host's deadline. */
  waited(scope: HostScope | undefined, ms: number): void {
    if (scope !== undefined) this.waits.set(scope, (this.waits.get(scope) ?? 0) + ms);
  }

  /**
   * Runs one host's work under a deadline. Resolves null when the work settled (its own errors
   * are its caller's to handle, as without the watchdog), or the activity at the moment the
   * deadline fired, after everything the work held open was destroyed.
   */
  async run(host: string, deadlineMs: number, work: () => Promise<void>): Promise<HostActivity | null> {
    const scope = new HostScope(host);
    this.scopes.add(scope);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<HostActivity>((resolve) => {
      const check = (): void => {
        const left = deadlineMs + (this.waits.get(scope) ?? 0) - (performance.now() - scope.started);
        if (left > 0) {
          timer = setTimeout(check, left);
          return;
        }
        const at = scope.activity();
        scope.kill();
        resolve(at);
      };
      timer = setTimeout(check, deadlineMs);
    });
    const done = scope.run(work).then(() => null);
    try {
      return await Promise.race([done, expired]);
    } finally {
      clearTimeout(timer);
      this.scopes.delete(scope);
      // work abandoned at its deadline may still settle later, rejected: nobody waits for it
      done.catch(() => undefined);
    }
  }
}

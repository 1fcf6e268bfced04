/**
 * The one ProbeContext (types.ts) of a host: built here from the scan's settings, its logger and
 * its rate limiter, in one call, so the engine never repacks probe options.
 */
import type { Logger } from '../util/log.js';
import type { ProbeContext } from './types.js';

/** What the probes read of a scan's arguments. */
export type ProbeArgs = Pick<ProbeContext, 'timeoutMs' | 'depth' | 'aeTitles' | 'maxQueries' | 'countBudgetMs'>;

export interface ProbeContextSources {
  args: ProbeArgs;
  log: Logger;
  /** The scan's connection budget (--rate): one token before each new connection. */
  rate: { take(): Promise<void> };
  /** Told how long each wait for the budget took (the host watchdog leaves it out of the host's deadline). */
  waited?: (ms: number) => void;
  /** The ports were seen open by opendoor's own sweep (not reported by a list): a refusal now is asked again. */
  sweptOpen: boolean;
  printKey?: Buffer;
}

export function probeContext(s: ProbeContextSources): ProbeContext {
  const { timeoutMs, depth, aeTitles, maxQueries, countBudgetMs } = s.args;
  return {
    timeoutMs,
    depth,
    aeTitles,
    maxQueries,
    countBudgetMs,
    log: s.log,
    sweptOpen: s.sweptOpen,
    ...(s.printKey !== undefined ? { printKey: s.printKey } : {}),
    throttle: async () => {
      const started = performance.now();
      await s.rate.take();
      s.waited?.(performance.now() - started);
    },
  };
}

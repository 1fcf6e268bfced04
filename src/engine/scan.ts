/**
 * The scan engine: work items → port sweep → one service probe at a time per host →
 * identification → findings → records, stored per host as they are ready and handed to the
 * caller. Bounded concurrency and connection rate; memory stays flat whatever the target count.
 */
import { randomBytes } from 'node:crypto';
import { identifyHost } from '../fingerprint/host.js';
import { isExposed, judgeService } from '../findings/judge.js';
import { serviceRecord, type ServiceRecord } from '../output/records.js';
import { probeService, type ServiceResult } from '../probes/service.js';
import type { Store } from '../store/db.js';
import type { Logger } from '../util/log.js';
import { workItems, type Plan, type WorkItem } from './plan.js';
import { Progress } from './progress.js';
import { RateLimiter } from './rate.js';
import { SweepPool } from './sweepPool.js';
import { sweepPorts } from './sweepPorts.js';

export interface RunOptions {
  scanId: string;
  store: Store;
  log: Logger;
  /** Skip work items the store already marks done (resume). */
  resume: boolean;
  /** Polled before each new host: true stops scheduling (SIGINT). */
  shouldStop: () => boolean;
  onService: (record: ServiceRecord) => void;
  progress: boolean;
  /** Work arriving from stdin instead of the plan's permuted space. */
  source?: AsyncIterable<WorkItem> | Iterable<WorkItem>;
}

export function newScanId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z').replace('T', '-');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** Below this many hosts the sweep stays on the main thread: starting workers would cost more than it saves. */
const POOL_FROM_HOSTS = 1024n;

/** Open ports of one host (in a sweep worker when there is a pool); the rate is paid here, a token a port. */
async function sweep(host: string, ports: number[], timeoutMs: number, rate: RateLimiter, pool: SweepPool | null, log: Logger): Promise<number[]> {
  for (let i = 0; i < ports.length; i++) await rate.take();
  const r = pool !== null ? await pool.sweep(host, ports, timeoutMs) : await sweepPorts(host, ports, timeoutMs);
  if (r.slow.length > 0) log.debug(`${host}: no answer on ${r.slow.join(',')}`);
  return r.open;
}

async function scanHost(host: string, ports: number[], plan: Plan, rate: RateLimiter, pool: SweepPool | null, log: Logger): Promise<ServiceRecord[]> {
  const a = plan.args;
  const open = await sweep(host, ports, a.timeoutMs, rate, pool, log);
  const results: ServiceResult[] = [];
  for (const port of open) {
    results.push(
      await probeService(host, port, { timeoutMs: a.timeoutMs, depth: a.depth, aeTitles: a.aeTitles, maxQueries: a.maxQueries, countBudgetMs: a.countBudgetMs, log, throttle: () => rate.take() }),
    );
  }
  const ids = identifyHost(results.map((r) => ({ observation: r.observation, httpProduct: r.product, httpVersion: r.version })));
  return results.map((r, i) => {
    const id = ids[i] ?? { product: null, version: null, toolkit: null };
    return serviceRecord(r.observation, id, judgeService(r.observation, id.product));
  });
}

const exposedRecord = (r: ServiceRecord): boolean => isExposed(r.findings);

/** Runs (or resumes) a scan; returns whether it finished or was interrupted. */
export async function runScan(plan: Plan, o: RunOptions): Promise<'done' | 'interrupted'> {
  const started = performance.now();
  const rate = new RateLimiter(plan.args.rate);
  const pool = o.source !== undefined || plan.total >= POOL_FROM_HOSTS ? new SweepPool() : null;
  const pending = new Set<Promise<void>>();
  const progress = new Progress(o.source === undefined ? plan.total : null, o.progress);
  // one association per host at a time, even when a sweeper lists the same host once per port
  const busy = new Map<string, Promise<void>>();
  let stopped = false;
  let targets = 0n;
  for await (const item of o.source ?? workItems(plan)) {
    targets++;
    if (o.shouldStop()) {
      stopped = true;
      break;
    }
    if (o.resume && o.store.done(o.scanId, item.idx)) {
      progress.skip();
      continue;
    }
    while (pending.size >= plan.args.concurrency) await Promise.race(pending);
    const previous = busy.get(item.host) ?? Promise.resolve();
    const p: Promise<void> = previous
      .then(() => scanHost(item.host, item.ports, plan, rate, pool, o.log))
      .then((records) => {
        o.store.recordHost(o.scanId, item.idx, records, exposedRecord);
        for (const r of records) o.onService(r);
        progress.host(records.length, records.filter(exposedRecord).length);
      })
      .catch((e: unknown) => o.log.error(`${item.host}: ${e instanceof Error ? e.name : 'error'}`))
      .finally(() => {
        pending.delete(p);
        if (busy.get(item.host) === p) busy.delete(item.host);
      });
    pending.add(p);
    busy.set(item.host, p);
  }
  if (!stopped) await Promise.all(pending);
  await pool?.close();
  progress.end();
  const status = stopped ? 'interrupted' : 'done';
  o.store.finishScan(o.scanId, status, Number(o.source === undefined ? plan.total : targets), Math.round(performance.now() - started));
  return status;
}

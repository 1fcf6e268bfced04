/**
 * Scans started from the dashboard (a page, the API, a monitor), under exactly the CLI's rules: the
 * same option parsing and validation (engine/scanOptions.ts), the serve command's own exclusions and
 * bounds applied to each. On SQLite the server runs them, each in a process of its own
 * (scanChild.ts: the dashboard's event loop stays free for pages), one at a time unless told
 * (`serve --scans-at-once N`), in the order started (queued ones left by a stopped server run when
 * it starts again); on PostgreSQL they go to the queue for workers (`opendoor worker`).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AttributionCliOptions } from '../attribution/options.js';
import { SCAN_DEFAULTS } from '../engine/defaults.js';
import { ScanJob } from '../engine/job.js';
import type { PlanArgs } from '../engine/plan.js';
import { newScanId } from '../engine/scan.js';
import { planArgs, type ScanCliOptions } from '../engine/scanOptions.js';
import type { Store } from '../store/store.js';
import type { Io } from '../util/io.js';
import type { Logger } from '../util/log.js';

/** What the server applies to every scan it starts (serve's options, its attribution options among them). */
export interface LaunchPolicy extends AttributionCliOptions {
  exclude?: string;
  excludeFile?: string;
  rate: string;
  concurrency: string;
  timeout: string;
}

export interface ScanRequest {
  targets: string[];
  ports?: string;
  depth?: string;
}

export interface ScanLauncher {
  /** Validate (an InputError when the scope or an option is bad) and start or queue the scan (under `id`, or a new one): its id. */
  start(r: ScanRequest, id?: string): Promise<string>;
  /** The scans this process is running now (their ids; none where workers run them). */
  running(): string[];
  /** The running scans stop taking new hosts (they stay resumable); nothing new starts. */
  stop(): Promise<void>;
}

/** The module a scan of serve's own runs in (SQLite). */
const SCAN_CHILD = fileURLToPath(new URL('./scanChild.js', import.meta.url));

/** No stdin for a scan from the dashboard: a file name in its options reads nothing. */
const NO_STDIN: Io = {
  stdout: () => undefined,
  stderr: () => undefined,
  stdin: () => '',
  stdinLines: async function* () {},
};

function attributionOf(p: AttributionCliOptions): AttributionCliOptions {
  const { asnData, contacts, rdap, rdapUrl, rdapTtl, rdapRate } = p;
  return Object.fromEntries(
    Object.entries({ asnData, contacts, rdap, rdapUrl, rdapTtl, rdapRate }).filter(([, v]) => v !== undefined),
  );
}

export function scanArgs(r: ScanRequest, policy: LaunchPolicy): PlanArgs {
  const o: ScanCliOptions = {
    ...SCAN_DEFAULTS,
    ...(policy.exclude !== undefined ? { exclude: policy.exclude } : {}),
    ...(policy.excludeFile !== undefined ? { excludeFile: policy.excludeFile } : {}),
    rate: policy.rate,
    concurrency: policy.concurrency,
    timeout: policy.timeout,
    ...attributionOf(policy),
    ...(r.ports !== undefined ? { ports: r.ports } : {}),
    depth: r.depth ?? SCAN_DEFAULTS.depth,
  };
  return planArgs(r.targets, o, NO_STDIN);
}

export async function openLauncher(
  store: Store,
  policy: LaunchPolicy,
  log: Logger,
  /** Scans run at once by this server (SQLite); the rest wait their turn. */
  parallel = 1,
): Promise<ScanLauncher> {
  // a store that holds a queue: workers run the scans
  if (store.queue !== null) {
    const { enqueueScan } = await import('../queue/enqueue.js');
    return {
      start: async (r, id = newScanId()) => {
        await enqueueScan(await ScanJob.create(store, id, scanArgs(r, policy), log), log);
        return id;
      },
      running: () => [],
      stop: async () => undefined,
    };
  }
  const waiting = (await store.listScans()).filter((s) => s.status === 'queued').map((s) => s.id);
  const running = new Set<Promise<void>>();
  const ids = new Set<string>();
  const children = new Set<ChildProcess>();
  let stopping = false;
  // a SQLite store is where its file is
  const run = (id: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const child = fork(SCAN_CHILD, [store.where, id, log.level], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      children.add(child);
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        children.delete(child);
        if (code === 0) resolve();
        else reject(new Error(signal !== null ? `its process ended by ${signal}` : `its process exited ${code}`));
      });
    });
  const next = (): void => {
    while (running.size < parallel && !stopping) {
      const id = waiting.shift();
      if (id === undefined) return;
      ids.add(id);
      const one: Promise<void> = run(id)
        .catch(async (e: unknown) => {
          log.error(`scan ${id}: ${e instanceof Error ? e.message : 'failed'}`);
          await store.setStatus(id, 'interrupted').catch(() => undefined);
        })
        .finally(() => {
          running.delete(one);
          ids.delete(id);
          next();
        });
      running.add(one);
    }
  };
  next();
  return {
    start: async (r, id = newScanId()) => {
      const args = scanArgs(r, policy);
      await store.beginScan(id, args, 'queued');
      waiting.push(id);
      next();
      return id;
    },
    running: () => [...ids],
    stop: async () => {
      stopping = true;
      for (const c of children) if (c.connected) c.send('stop');
      await Promise.allSettled([...running]);
    },
  };
}

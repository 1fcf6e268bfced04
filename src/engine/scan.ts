/**
 * The scan engine: targets → port sweep → one service probe at a time per host → identification →
 * findings → records handed to the caller as they are ready. Bounded concurrency and rate.
 */
import { lookup } from 'node:dns/promises';
import { randomBytes } from 'node:crypto';
import { identifyHost } from '../fingerprint/host.js';
import { isExposed, judgeService } from '../findings/judge.js';
import { tcpConnect } from '../net/connect.js';
import { serviceRecord, type ServiceRecord, type SummaryRecord } from '../output/records.js';
import { probeService, type ServiceResult } from '../probes/service.js';
import type { Depth } from '../probes/types.js';
import type { InputEntry } from '../targets/inputFile.js';
import { contains, expand, type TargetSpec } from '../targets/spec.js';
import type { Logger } from '../util/log.js';
import { RateLimiter, Semaphore } from './rate.js';

export interface ScanOptions {
  targets: InputEntry[];
  excludes: TargetSpec[];
  ports: number[];
  depth: Depth;
  timeoutMs: number;
  /** Hosts probed at once. */
  concurrency: number;
  /** New connections per second, whole scan. */
  rate: number;
  aeTitles: string[];
  maxQueries: number;
  countBudgetMs: number;
  log: Logger;
  onService: (record: ServiceRecord) => void;
}

export function newScanId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z').replace('T', '-');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** Open ports of one host: connects in parallel (bounded), closes at once. */
async function sweep(host: string, ports: number[], opts: ScanOptions, rate: RateLimiter): Promise<number[]> {
  const open: number[] = [];
  const gate = new Semaphore(16);
  await Promise.all(
    ports.map((port) =>
      gate.run(async () => {
        await rate.take();
        const r = await tcpConnect(host, port, opts.timeoutMs);
        if (r.ok) {
          r.socket.destroy();
          open.push(port);
        } else if (r.failure !== 'refused') {
          opts.log.debug(`${host}:${port} ${r.failure}`);
        }
      }),
    ),
  );
  return open.sort((a, b) => a - b);
}

async function resolve(spec: TargetSpec, log: Logger, timeoutMs: number): Promise<string[]> {
  if (spec.kind === 'block') return [];
  try {
    const answer = await Promise.race([
      lookup(spec.name, { all: true }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref()),
    ]);
    return [...new Set(answer.map((a) => a.address))];
  } catch {
    log.warn(`cannot resolve ${spec.name}`);
    return [];
  }
}

export async function runScan(opts: ScanOptions, scanId = newScanId()): Promise<SummaryRecord> {
  const started = performance.now();
  const rate = new RateLimiter(opts.rate);
  const hosts = new Semaphore(opts.concurrency);
  const excluded = (addr: string) => opts.excludes.some((x) => contains(x, addr));
  const seen = new Set<string>();
  let targets = 0;
  let services = 0;
  let exposed = 0;
  const totals = { patients: 0, studies: 0, instances: 0 };
  const pending = new Set<Promise<void>>();

  const scanHost = async (host: string, ports: number[]): Promise<void> => {
    const open = await sweep(host, ports, opts, rate);
    const results: ServiceResult[] = [];
    for (const port of open) {
      const { timeoutMs, depth, aeTitles, maxQueries, countBudgetMs, log } = opts;
      results.push(await probeService(host, port, { timeoutMs, depth, aeTitles, maxQueries, countBudgetMs, log, throttle: () => rate.take() }));
    }
    const ids = identifyHost(results.map((r) => ({ observation: r.observation, httpProduct: r.product, httpVersion: r.version })));
    results.forEach((r, i) => {
      const id = ids[i] ?? { product: null, version: null, toolkit: null };
      const findings = judgeService(r.observation, id.product);
      services++;
      if (isExposed(findings)) exposed++;
      const e = r.observation.exposure;
      if (e !== null) {
        totals.patients += e.patients;
        totals.studies += e.studies;
        totals.instances += e.instances;
      }
      opts.onService(serviceRecord(r.observation, id, findings));
    });
  };

  const schedule = async (host: string, ports: number[]) => {
    if (seen.has(host) || excluded(host)) return;
    seen.add(host);
    targets++;
    // bounded: never more than `concurrency` hosts in flight, so memory stays flat
    while (pending.size >= opts.concurrency) await Promise.race(pending);
    const p: Promise<void> = hosts
      .run(() => scanHost(host, ports))
      .catch((e: unknown) => opts.log.error(`${host}: ${e instanceof Error ? e.name : 'error'}`))
      .finally(() => pending.delete(p));
    pending.add(p);
  };

  for (const entry of opts.targets) {
    const ports = entry.ports ?? opts.ports;
    if (entry.spec.kind === 'host') {
      if (opts.excludes.some((x) => contains(x, entry.spec.text))) continue;
      for (const addr of await resolve(entry.spec, opts.log, opts.timeoutMs)) await schedule(addr, ports);
    } else {
      for (const addr of expand(entry.spec)) await schedule(addr, ports);
    }
  }
  await Promise.all(pending);
  return { type: 'summary', scanId, targets, services, exposedServices: exposed, ...totals, elapsedMs: Math.round(performance.now() - started) };
}

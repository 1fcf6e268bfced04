/**
 * `campaign recheck`: the campaign's notified services (of notices that went out) probed again —
 * exactly their host and port, at the campaign's depth, with the exclusions and attribution of the
 * scan it began with, the opt-out list read as the run starts — as a scan of its own in the store;
 * then each service judged (campaign.ts recheckState) and its state recorded. Opted-out services
 * get no packet and keep their last state. Shared by the CLI and monitors whose scope is a campaign.
 */
import { createHash } from 'node:crypto';
import { ScanJob, readOptOuts } from '../engine/job.js';
import type { PlanArgs } from '../engine/plan.js';
import { newScanId } from '../engine/scan.js';
import { planArgsOf } from '../engine/storedArgs.js';
import type { ServiceRecord } from '../output/records.js';
import type { RecheckState, Store } from '../store/store.js';
import { collect } from '../util/async.js';
import type { Logger } from '../util/log.js';
import { recheckState } from './campaign.js';

export interface RecheckResult {
  scanId: string;
  services: Array<{ host: string; port: number; state: RecheckState | 'opted-out' }>;
}

const DEFAULTS: Omit<PlanArgs, 'targets' | 'seed' | 'depth'> = {
  excludes: [],
  ports: [],
  timeoutMs: 3000,
  concurrency: 64,
  rate: 1000,
  aeTitles: [],
  maxQueries: 2000,
  countBudgetMs: 120_000,
  shard: null,
};

export class NoSuchCampaign extends Error {
  override readonly name = 'NoSuchCampaign';
}

export async function recheckCampaign(
  store: Store,
  name: string,
  o: { log: Logger; timeoutMs?: number; shouldStop?: () => boolean; scanId?: string },
): Promise<RecheckResult> {
  const c = await store.campaigns.get(name);
  if (c === null) throw new NoSuchCampaign(name);
  const sent = new Set((await store.campaigns.notices(name)).filter((n) => n.state === 'sent').map((n) => n.ticket));
  const rows = (await store.campaigns.services(name)).filter((s) => sent.has(s.ticket));
  const optOuts = await readOptOuts(store, o.log);
  const out: RecheckResult['services'] = [];
  const ports = new Map<string, number[]>();
  for (const r of rows) {
    if (optOuts.has(r.host)) out.push({ host: r.host, port: r.port, state: 'opted-out' });
    else ports.set(r.host, [...(ports.get(r.host) ?? []), r.port]);
  }
  const first = await store.scan(c.scanId);
  const was: Partial<PlanArgs> = (first !== null ? planArgsOf(first.args) : null) ?? {};
  const targets = [...ports].map(([spec, p]) => ({ spec, ports: p }));
  const args: PlanArgs = {
    ...DEFAULTS,
    ...(was.excludes !== undefined ? { excludes: was.excludes } : {}),
    ...(was.aeTitles !== undefined ? { aeTitles: was.aeTitles } : {}),
    ...(was.maxQueries !== undefined ? { maxQueries: was.maxQueries } : {}),
    ...(was.countBudgetMs !== undefined ? { countBudgetMs: was.countBudgetMs } : {}),
    ...(was.attribution !== undefined ? { attribution: was.attribution } : {}),
    timeoutMs: o.timeoutMs ?? was.timeoutMs ?? DEFAULTS.timeoutMs,
    ports: [...new Set(rows.map((r) => r.port))],
    depth: c.depth as PlanArgs['depth'],
    targets,
    seed: createHash('sha256').update(JSON.stringify(targets)).digest('hex').slice(0, 16),
  };
  const scanId = o.scanId ?? newScanId();
  const job = await ScanJob.create(store, scanId, args, o.log);
  await job.begin();
  await job.run({
    sinks: [],
    log: o.log,
    from: null,
    shouldStop: o.shouldStop ?? (() => false),
    progress: false,
  });
  const found = new Map<string, ServiceRecord>(
    (await collect(store.services(scanId))).map((r) => [`${r.host} ${r.port}`, r]),
  );
  const at = new Date().toISOString();
  for (const r of rows) {
    if (optOuts.has(r.host)) continue;
    const state = recheckState(JSON.parse(r.record) as ServiceRecord, found.get(`${r.host} ${r.port}`));
    await store.campaigns.recheck(name, r.host, r.port, state, at);
    out.push({ host: r.host, port: r.port, state });
  }
  return { scanId, services: out };
}

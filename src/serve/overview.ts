/**
 * The overview's figures: the latest finished scan's headline (of scans that probed something) and
 * breakdowns (severity, product, port, country, network), from the tallies the store keeps as
 * records arrive (the records are not read); and the trend of the headline across scans. A finished scan does not change, so its figures are kept (a few).
 */
import { SEVERITIES } from '../findings/catalogue.js';
import type { ScanRow, Store } from '../store/store.js';

export interface Overview {
  latest: Omit<ScanRow, 'args'> | null;
  bySeverity: Array<[string, number]>;
  byProduct: Array<[string, number]>;
  byPort: Array<[string, number]>;
  byCountry: Array<[string, number]>;
  byNetwork: Array<[string, number]>;
  byNetworkPatients: Array<[string, number]>;
  trend: Array<{ id: string; started: string; services: number; exposed: number; patients: number; studies: number }>;
}

const TOP = 10;
const KEEP = 8;
const cache = new Map<string, Omit<Overview, 'latest' | 'trend'>>();

function top(m: Map<string, number>): Array<[string, number]> {
  return [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, TOP);
}

async function breakdowns(store: Store, scanId: string): Promise<Omit<Overview, 'latest' | 'trend'>> {
  const known = cache.get(scanId);
  if (known !== undefined) return known;
  const t = await store.tallies(scanId);
  const sev = new Map<string, number>(SEVERITIES.map((s) => [s, 0]));
  for (const [k, n] of t.bySeverity) sev.set(k, n);
  const b = {
    bySeverity: [...sev],
    byProduct: top(new Map(t.byProduct)),
    byPort: top(new Map(t.byPort)),
    byCountry: top(new Map(t.byCountry)),
    byNetwork: top(new Map(t.byNetwork)),
    byNetworkPatients: top(new Map(t.byNetworkPatients.filter(([, n]) => n > 0))),
  };
  cache.set(scanId, b);
  while (cache.size > KEEP) cache.delete(cache.keys().next().value as string);
  return b;
}

export async function overview(store: Store): Promise<Overview> {
  // a scan whose every target was excluded probed nothing: its zeros are no figure of the network
  const rows = (await store.listScans()).filter((r) => r.targets > 0 || r.status !== 'done');
  const trend = rows.map((r) => ({
    id: r.id,
    started: r.started,
    services: r.services,
    exposed: r.exposed,
    patients: r.patients,
    studies: r.studies,
  }));
  const done = rows.filter((r) => r.status === 'done').at(-1);
  if (done === undefined)
    return {
      latest: null,
      bySeverity: [],
      byProduct: [],
      byPort: [],
      byCountry: [],
      byNetwork: [],
      byNetworkPatients: [],
      trend,
    };
  const { args: _args, ...latest } = done;
  return { latest, ...(await breakdowns(store, done.id)), trend: trend.slice(-30) };
}

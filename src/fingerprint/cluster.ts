/**
 * Hosts that answer alike, within one scan: the same A-ASSOCIATE-AC (every field the codec reads,
 * in order), the same studies and patients (a digest of their keyed hashes), the same web front
 * page. Hosts whose prints are all the same form a cluster; a cluster of FLEET_SIZE hosts or more
 * that serve the same patients is a fleet, and every host in it is judged a honeypot (an operator
 * who fixes every per-host tell still runs many identical hosts). A mirrored pair of real archives
 * is a cluster, never a fleet. Pure: prints in, clusters out.
 */
import type { Honeypot } from './honeypot.js';

export const CLUSTER_BASES = ['association', 'data', 'web'] as const;
export type ClusterBasis = (typeof CLUSTER_BASES)[number];

/** What one host answered, as digests (each comparable within its scan only); a basis it did not answer is absent. */
export type HostPrints = Partial<Record<ClusterBasis, string>>;

/** This many hosts or more serving the same patients are a fleet. */
export const FLEET_SIZE = 5;

export interface Cluster {
  /** `c1`, `c2`, … within the scan, largest first. */
  id: string;
  size: number;
  /** What its hosts answered alike. */
  basis: ClusterBasis[];
  /** Judged a fleet of honeypots: FLEET_SIZE hosts or more with the same patients. */
  fleet: boolean;
  hosts: string[];
}

/** A service record's view of its host's cluster. */
export interface ClusterRef {
  id: string;
  size: number;
  basis: ClusterBasis[];
}

/** The reason a fleet's hosts carry in `honeypot.reasons`: it names the cluster. */
export const fleetReason = (id: string): string => `fleet:${id}`;

/** Group hosts whose prints are the same on every basis; groups of two or more are clusters. */
export function findClusters(hosts: ReadonlyArray<{ host: string; prints: HostPrints }>): Cluster[] {
  const groups = new Map<string, { basis: ClusterBasis[]; hosts: string[] }>();
  for (const h of hosts) {
    const basis = CLUSTER_BASES.filter((b) => h.prints[b] !== undefined);
    if (basis.length === 0) continue;
    const key = basis.map((b) => `${b}=${h.prints[b]}`).join(' ');
    const g = groups.get(key) ?? { basis, hosts: [] };
    if (!g.hosts.includes(h.host)) g.hosts.push(h.host);
    groups.set(key, g);
  }
  const byHost = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return [...groups.values()]
    .filter((g) => g.hosts.length >= 2)
    .map((g) => ({ ...g, hosts: g.hosts.sort(byHost) }))
    .sort((a, b) => b.hosts.length - a.hosts.length || byHost(a.hosts[0] ?? '', b.hosts[0] ?? ''))
    .map((g, i) => ({
      id: `c${i + 1}`,
      size: g.hosts.length,
      basis: g.basis,
      fleet: g.hosts.length >= FLEET_SIZE && g.basis.includes('data'),
      hosts: g.hosts,
    }));
}

/** A host's honeypot judgement once its cluster is known: a fleet's host is a suspect, its cluster named. */
export function judgeInCluster(h: Honeypot | undefined, c: Cluster): Honeypot {
  const reasons = h?.reasons ?? [];
  if (!c.fleet) return { suspect: h?.suspect === true, reasons };
  const reason = fleetReason(c.id);
  return { suspect: true, reasons: reasons.includes(reason) ? reasons : [...reasons, reason] };
}

/**
 * A scan's clusters, judged once every host is in, from what the store holds (so it works however
 * many workers probed the scan's hosts): hosts' prints → clusters (fingerprint/cluster.ts) → each
 * clustered host's stored records updated (`cluster`, and a fleet's hosts judged honeypots, their
 * counts out of every total) → the clusters kept, the prints and the scan's print key erased.
 */
import { randomBytes } from 'node:crypto';
import { type Cluster, findClusters, judgeInCluster } from '../fingerprint/cluster.js';
import { honeypotFinding } from '../findings/judge.js';
import type { ServiceRecord } from '../output/records.js';
import type { Store } from '../store/store.js';

/** A scan's print key, as the store keeps it (erased once the scan's clusters are judged). */
export const newPrintKey = (): string => randomBytes(32).toString('base64url');

/** A record as it stands once its host's cluster is known. */
export function inCluster(r: ServiceRecord, c: Cluster): ServiceRecord {
  const honeypot = judgeInCluster(r.honeypot, c);
  const out: ServiceRecord = { ...r, cluster: { id: c.id, size: c.size, basis: c.basis }, honeypot };
  if (!honeypot.suspect) return out;
  return {
    ...out,
    dicom: r.dicom === null ? null : { ...r.dicom, honeypotSuspect: true },
    findings: [honeypotFinding(r.product, honeypot, r.exposure)].map((f) => ({
      id: f.id,
      severity: f.severity,
      title: f.title,
      remediation: f.remediation,
      evidence: f.evidence,
    })),
  };
}

/** Judge the scan's clusters from the store and write what follows from them; answers the clusters. */
export async function judgeClusters(store: Store, scanId: string): Promise<Cluster[]> {
  const clusters = findClusters(await store.clusters.prints(scanId));
  const of = new Map<string, Cluster>();
  for (const c of clusters) for (const h of c.hosts) of.set(h, c);
  let batch: ServiceRecord[] = [];
  for await (const r of store.services(scanId)) {
    const c = of.get(r.host);
    if (c === undefined) continue;
    batch.push(inCluster(r, c));
    if (batch.length >= 200) {
      await store.recordHost(scanId, batch, null);
      batch = [];
    }
  }
  if (batch.length > 0) await store.recordHost(scanId, batch, null);
  await store.clusters.judged(scanId, clusters);
  return clusters;
}

/**
 * One host's probe results → its records: the product decided from all its services, the
 * honeypot judgement from all their tells, then each service judged and recorded. Ports the host
 * deadline cut short still get a record, saying where the probe stood.
 */
import { CLUSTER_BASES, type ClusterBasis, type HostPrints } from '../fingerprint/cluster.js';
import { type Identification, identifyHost } from '../fingerprint/host.js';
import { honeypotTells, judgeHost } from '../fingerprint/honeypot.js';
import { judgeService } from '../findings/judge.js';
import type { HostActivity } from '../net/hostScope.js';
import { type ServiceRecord, serviceRecord } from '../output/records.js';
import type { ServiceResult } from '../probes/service.js';
import type { ServiceObservation } from '../probes/types.js';

const UNIDENTIFIED: Identification = {
  product: null,
  version: null,
  toolkit: null,
  fingerprint: { basis: null, confidence: null, contradiction: null },
};

/** A port whose probe the host deadline cut short: it was open, and the record says where it stopped. */
export function cutShort(host: string, port: number, at: HostActivity, deadlineMs: number): ServiceResult {
  const where = at.port === port ? at.step : 'not reached';
  const failure = { kind: 'host-deadline' as const, detail: `host deadline of ${deadlineMs} ms; step: ${where}` };
  const observation = {
    host,
    port,
    transport: 'tcp' as const,
    protocol: 'unknown' as const,
    tls: null,
    dicom: null,
    http: null,
    exposure: null,
    failure,
    elapsedMs: at.ageMs,
  };
  return { observation, product: null, version: null };
}

/** One host's records, and what it answered as prints for the scan's clusters (kept by the store, never in a record). */
export interface HostOutcome {
  records: ServiceRecord[];
  prints: HostPrints;
}

/** A host's prints: each basis from all its services (two DICOM ports that answer alike are one print). */
export function hostPrints(observations: readonly ServiceObservation[]): HostPrints {
  const seen: Record<ClusterBasis, Set<string>> = { association: new Set(), data: new Set(), web: new Set() };
  for (const o of observations) {
    if (o.dicom?.acceptPrint !== undefined) seen.association.add(o.dicom.acceptPrint);
    if (o.exposure?.print !== undefined) seen.data.add(o.exposure.print);
    if (o.http?.pagePrint !== undefined) seen.web.add(o.http.pagePrint);
  }
  const prints: HostPrints = {};
  for (const b of CLUSTER_BASES) if (seen[b].size > 0) prints[b] = [...seen[b]].sort().join(',');
  return prints;
}

export function hostRecords(results: readonly ServiceResult[]): HostOutcome {
  // a port a list reported open may have closed since: refused at once, it is no service (our own
  // sweep's ports are never dropped: probeService records them closed-after-sweep)
  const found = results.filter(
    (r) => !(r.observation.protocol === 'unknown' && r.observation.failure?.kind === 'connection-refused'),
  );
  const ids = identifyHost(
    found.map((r) => ({ observation: r.observation, httpProduct: r.product, httpVersion: r.version })),
  );
  const honeypot = judgeHost(found.map((r, i) => honeypotTells(r.observation, (ids[i] ?? UNIDENTIFIED).fingerprint)));
  const records = found.map((r, i) => {
    const id = ids[i] ?? UNIDENTIFIED;
    return serviceRecord(r.observation, id, judgeService(r.observation, id.product, new Date(), honeypot), honeypot);
  });
  return { records, prints: hostPrints(found.map((r) => r.observation)) };
}

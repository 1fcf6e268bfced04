/**
 * The report model: one scan read back from the store and aggregated for people — headline
 * figures, breakdowns, hosts and findings with their remediation. Formats render this model only.
 */
import type { Cluster } from '../fingerprint/cluster.js';
import { CATALOGUE, type FindingId, SEVERITIES, type Severity, severityRank } from '../findings/catalogue.js';
import { type ServiceRecord, counted, isExposedRecord, networkLabel } from '../output/records.js';
import type { NoteState, ScanRow, Store } from '../store/store.js';
import { collect } from '../util/async.js';
import { storedDepth } from '../engine/storedArgs.js';
import { countryOf } from '../targets/country.js';

export interface FindingGroup {
  id: string;
  severity: Severity;
  title: string;
  why: string;
  references: readonly string[];
  services: Array<{
    host: string;
    port: number;
    product: string | null;
    evidence: string;
    remediation: string;
    /** What people noted on this finding of this host and port (the dashboard), kept across rescans. */
    note: { state: NoteState; note: string; by: string } | null;
  }>;
}

export interface ReportModel {
  scan: Omit<ScanRow, 'args'>;
  headline: {
    services: number;
    exposedServices: number;
    hosts: number;
    patients: number;
    studies: number;
    instances: number;
    linkedImages: number;
    retrievable: number;
    /** Whether retrieval was tried (`--depth retrieve`): when not, `retrievable` says nothing and is shown as "not tested". */
    retrieveTested: boolean;
    /** Suspected honeypots' services: their patients and studies are in no figure above. */
    honeypotServices: number;
  };
  bySeverity: Array<[Severity, number]>;
  byProduct: Array<[string, number]>;
  byPort: Array<[string, number]>;
  byCountry: Array<[string, number]>;
  /** Top networks ("AS64500 Name", or "unknown") by exposed services… */
  byNetwork: Array<[string, number]>;
  /** …and by patients (each host once, honeypots' bait left out). */
  byNetworkPatients: Array<[string, number]>;
  services: ServiceRecord[];
  findings: FindingGroup[];
  /** Hosts that answered alike, largest first; a fleet's hosts are suspected honeypots. */
  clusters: Cluster[];
}

/** One line on a cluster: "c1: 6 hosts answered alike (association, data): a fleet, judged honeypots". */
export function clusterText(c: Cluster): string {
  return `${c.id}: ${c.size} hosts answered alike (${c.basis.join(', ')})${c.fleet ? ': a fleet, judged honeypots' : ''} — ${c.hosts.join(', ')}`;
}

/** A note as a line of a report: "acknowledged: the vendor patches in May — dpo". */
export function noteText(n: { state: NoteState; note: string; by: string }): string {
  return `${n.state}${n.note !== '' ? `: ${n.note}` : ''} — ${n.by}`;
}

/** Each finding's note by host, port and finding id. */
export function notesOf(m: ReportModel): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of m.findings)
    for (const s of f.services) if (s.note !== null) out.set(`${s.host} ${s.port} ${f.id}`, noteText(s.note));
  return out;
}

function tally(keys: string[]): Array<[string, number]> {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return [...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/**
 * Per host, the largest exposure of its services: a DICOM port and the REST API of the same
 * archive show the same patients, which must not be counted twice.
 */
export function hostExposure(
  services: readonly ServiceRecord[],
): Map<string, { patients: number; studies: number; instances: number; linkedImages: number }> {
  const byHost = new Map<string, { patients: number; studies: number; instances: number; linkedImages: number }>();
  for (const s of services) {
    const e = counted(s) ? s.exposure : null;
    if (e === null) continue;
    const cur = byHost.get(s.host) ?? { patients: 0, studies: 0, instances: 0, linkedImages: 0 };
    byHost.set(s.host, {
      patients: Math.max(cur.patients, e.patients),
      studies: Math.max(cur.studies, e.studies),
      instances: Math.max(cur.instances, e.instances),
      linkedImages: Math.max(cur.linkedImages, e.linkedImages),
    });
  }
  return byHost;
}

/** How many networks the breakdowns list. */
const TOP_NETWORKS = 10;

const networkOf = (s: ServiceRecord): string => networkLabel(s.network?.asn ?? null, s.network?.asName ?? null);

function patientsByNetwork(exposed: readonly ServiceRecord[]): Array<[string, number]> {
  const label = new Map(exposed.map((s) => [s.host, networkOf(s)]));
  const m = new Map<string, number>();
  for (const [host, e] of hostExposure(exposed)) {
    const k = label.get(host) ?? 'unknown';
    m.set(k, (m.get(k) ?? 0) + e.patients);
  }
  return [...m].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

export async function buildModel(store: Store, scanId: string): Promise<ReportModel | null> {
  const row = await store.scan(scanId);
  if (row === null) return null;
  const { args, ...scan } = row;
  const services = await collect(store.services(scanId));
  const exposed = services.filter(isExposedRecord);
  const totals = [...hostExposure(services).values()];
  const sum = (k: 'patients' | 'studies' | 'instances' | 'linkedImages') => totals.reduce((a, t) => a + t[k], 0);
  const notes = new Map(
    (await store.notes.forHosts(services.filter((s) => s.findings.length > 0).map((s) => s.host))).map((n) => [
      `${n.host} ${n.port} ${n.finding}`,
      { state: n.state, note: n.note, by: n.by },
    ]),
  );
  const groups = new Map<string, FindingGroup>();
  for (const s of services) {
    for (const f of s.findings) {
      const def = CATALOGUE[f.id as FindingId] as (typeof CATALOGUE)[FindingId] | undefined;
      const g = groups.get(f.id) ?? {
        id: f.id,
        severity: f.severity as Severity,
        title: f.title,
        why: def?.why ?? '',
        references: def?.references ?? [],
        services: [],
      };
      g.services.push({
        host: s.host,
        port: s.port,
        product: s.product,
        evidence: f.evidence,
        remediation: f.remediation,
        note: notes.get(`${s.host} ${s.port} ${f.id}`) ?? null,
      });
      groups.set(f.id, g);
    }
  }
  return {
    scan,
    headline: {
      services: services.length,
      exposedServices: exposed.length,
      honeypotServices: services.filter((s) => !counted(s)).length,
      hosts: new Set(services.map((s) => s.host)).size,
      patients: sum('patients'),
      studies: sum('studies'),
      instances: sum('instances'),
      linkedImages: sum('linkedImages'),
      retrievable: services.filter((s) => s.dicom?.retrieve === true || s.http?.retrieve === true).length,
      retrieveTested: storedDepth(args) === 'retrieve',
    },
    bySeverity: SEVERITIES.map((sev) => [
      sev,
      services.reduce((a, s) => a + s.findings.filter((f) => f.severity === sev).length, 0),
    ]),
    byProduct: tally(exposed.map((s) => s.product ?? 'unidentified')),
    byPort: tally(exposed.map((s) => String(s.port))),
    byCountry: tally(exposed.map((s) => countryOf(s.host))),
    byNetwork: tally(exposed.filter(counted).map(networkOf)).slice(0, TOP_NETWORKS),
    byNetworkPatients: patientsByNetwork(exposed).slice(0, TOP_NETWORKS),
    services,
    findings: [...groups.values()].sort(
      (a, b) => severityRank(a.severity) - severityRank(b.severity) || a.id.localeCompare(b.id),
    ),
    clusters: await store.clusters.list(scanId),
  };
}

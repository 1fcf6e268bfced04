/**
 * The JSON Lines records of the outside contract (../shared/contract.md): built from observations,
 * identification and findings. Only protocol facts, attribute names and counts appear here.
 */
import type { TlsFacts } from '../net/connect.js';
import { type Finding, isExposed } from '../findings/judge.js';
import type { Honeypot } from '../fingerprint/honeypot.js';
import type { Cluster, ClusterBasis, ClusterRef } from '../fingerprint/cluster.js';
import type { RejectionProfile } from '../probes/types.js';
import type { FingerprintBasis, Identification } from '../fingerprint/host.js';
import type { HttpObservation, Protocol, ServiceObservation, Transport } from '../probes/types.js';

export interface DicomRecord {
  implementationClassUid: string | null;
  implementationVersionName: string | null;
  toolkit: string | null;
  calledAe: string | null;
  /** Where the called AE title came from: made-up, user, orthanc-system, product-default:…, tls-certificate, dictionary. */
  calledAeSource: string | null;
  recognisedCalledAe: string | null;
  anyCalledAe: boolean | null;
  anyCallingAe: boolean | null;
  rejection: { result: number; source: number; reason: number; meaning: string } | null;
  rejectedAe: 'called' | 'calling' | 'unknown' | null;
  /** Behind a closed door: the answers to the made-up called AE, protocol version 2, an unknown application context. */
  rejectionProfile: RejectionProfile | null;
  echo: boolean | null;
  find: boolean | null;
  findRefusal: string | null;
  retrieve: boolean | null;
  storageAccepted: boolean | null;
  getAccepted: boolean | null;
  moveAccepted: boolean | null;
  findModels: string[];
  honeypotSuspect: boolean | null;
  maxPduLength: number | null;
  associationAttempts: number;
}

export interface Exposure {
  patients: number;
  studies: number;
  series: number;
  instances: number;
  complete: boolean;
  phi: string[];
  /** Sum of the instance counts the server reports per study (Greenbone's "linked images"). */
  linkedImages: number;
  capped: boolean;
  incompleteReason: string | null;
  queries: number;
  splits: string[];
  cannedStudies: number;
  /** Through which interface the count was made (study-root, patient-root, orthanc-rest, qido-rs, html-list). */
  model: string;
}

/** The network an address belongs to and its abuse contact; nulls where no data covers it. */
export interface NetworkRecord {
  asn: number | null;
  asName: string | null;
  /** The announced prefix (CIDR) or range the ASN data maps the address to. */
  prefix: string | null;
  /** ISO 3166-1 alpha-2 country of the address, or null. */
  cc: string | null;
  abuse: string[];
  abuseSource: 'contacts' | 'rdap' | null;
}

/** How reports and the overview name a network: "AS64500 Name", or "unknown" (no data covers it, or an older record). */
export function networkLabel(asn: number | null, asName: string | null): string {
  return asn === null ? 'unknown' : `AS${asn}${asName !== null && asName !== '' ? ` ${asName}` : ''}`;
}

export interface ServiceRecord {
  type: 'service';
  host: string;
  port: number;
  transport: Transport;
  protocol: Protocol;
  product: string | null;
  version: string | null;
  /** What product and version rest on: the association, HTTP, an AE title; a contradiction found. */
  fingerprint: FingerprintBasis;
  /** The host's honeypot judgement (every service of a host shares it); absent in older records. */
  honeypot?: Honeypot;
  /** The cluster of hosts that answered alike, when its host belongs to one (set when the scan ends); absent otherwise. */
  cluster?: ClusterRef;
  /** Who announces the address and whom to tell (src/attribution); absent in older records. */
  network?: NetworkRecord;
  dicom: DicomRecord | null;
  http: HttpObservation | null;
  tls: TlsFacts | null;
  exposure: Exposure | null;
  findings: Array<{ id: string; severity: string; title: string; remediation: string; evidence: string }>;
  /** Why the probe stopped short, when it did (closed set of kinds). */
  error: { kind: string; detail: string } | null;
  elapsedMs: number;
}

export interface SummaryRecord {
  type: 'summary';
  scanId: string;
  /** Targets scanned: in scope, less exclusions and opt-outs. */
  targets: number;
  /** Targets the standing opt-out list left out (no packet sent): the count only, never which. */
  optedOut: number;
  services: number;
  exposedServices: number;
  patients: number;
  studies: number;
  instances: number;
  /** Suspected honeypots, apart: their services and the patients and studies they claim, in no total above. */
  honeypots: { services: number; patients: number; studies: number };
  /** Clusters of hosts that answered alike, largest first; a fleet's hosts are suspected honeypots (in `honeypots`). */
  clusters: ClusterSummary[];
  elapsedMs: number;
}

/** A cluster as the summary and reports list it. */
export interface ClusterSummary {
  id: string;
  size: number;
  basis: ClusterBasis[];
  fleet: boolean;
}

/**
 * One cluster, written when the scan ends (its hosts' service records were streamed before it was
 * known): the hosts named, and whether they were judged a fleet (then the stored records say so too).
 */
export interface ClusterRecord extends ClusterSummary {
  type: 'cluster';
  scanId: string;
  hosts: string[];
}

export function clusterRecord(scanId: string, c: Cluster): ClusterRecord {
  return { type: 'cluster', scanId, id: c.id, size: c.size, basis: c.basis, fleet: c.fleet, hosts: c.hosts };
}

/** What the page answered is for clusters only: no record carries its print. */
function withoutPrint(h: HttpObservation): HttpObservation {
  const { pagePrint: _print, ...rest } = h;
  return rest;
}

/** A record with a finding that exposes something. */
export const isExposedRecord = (r: ServiceRecord): boolean => isExposed(r.findings);

/** A record whose exposure is counted: everything but a suspected honeypot's bait. */
export function counted(r: ServiceRecord): boolean {
  return r.honeypot?.suspect !== true;
}

export function serviceRecord(
  s: ServiceObservation,
  id: Identification,
  findings: readonly Finding[],
  honeypot: Honeypot | null = null,
): ServiceRecord {
  const e = s.exposure;
  const exposure: Exposure | null =
    e === null
      ? null
      : {
          patients: e.patients,
          studies: e.studies,
          series: e.series,
          instances: e.instances,
          complete: e.complete,
          phi: e.phi,
          linkedImages: e.linkedImages,
          capped: e.capped,
          incompleteReason: e.incompleteReason,
          queries: e.queries,
          splits: e.splits,
          cannedStudies: e.cannedStudies,
          model: e.model,
        };
  const d = s.dicom;
  return {
    type: 'service',
    host: s.host,
    port: s.port,
    transport: s.transport,
    protocol: s.protocol,
    product: id.product,
    version: id.version,
    fingerprint: id.fingerprint,
    honeypot: honeypot ?? { suspect: false, reasons: [] },
    dicom:
      d === null
        ? null
        : {
            implementationClassUid: d.implementationClassUid,
            implementationVersionName: d.implementationVersionName,
            toolkit: id.toolkit,
            calledAe: d.calledAe,
            calledAeSource: d.calledAeSource,
            recognisedCalledAe: d.recognisedCalledAe,
            anyCalledAe: d.anyCalledAe,
            anyCallingAe: d.anyCallingAe,
            rejection: d.rejection,
            rejectedAe: d.rejectedAe,
            rejectionProfile: d.rejectionProfile,
            echo: d.echo,
            find: d.find,
            findRefusal: d.findRefusal,
            retrieve: d.retrieve,
            storageAccepted: d.storageAccepted,
            getAccepted: d.getAccepted,
            moveAccepted: d.moveAccepted,
            findModels: d.findModels,
            honeypotSuspect: honeypot?.suspect ?? d.acceptsNonexistentSopClass,
            maxPduLength: d.maxPduLength,
            associationAttempts: d.attempts.length,
          },
    http: s.protocol === 'http' && s.http !== null ? withoutPrint(s.http) : null,
    tls: s.tls,
    exposure,
    findings: findings.map((f) => ({
      id: f.id,
      severity: f.severity,
      title: f.title,
      remediation: f.remediation,
      evidence: f.evidence,
    })),
    error: s.failure,
    elapsedMs: s.elapsedMs,
  };
}

/**
 * A scan as `scans --json` and the API list it: its row (the store's ScanRow) without the stored arguments,
 * with `state`. Typed by the fields it reads, so that this layer, below the store, needs none of its types.
 */
export function scanRecord<Row extends { args: unknown; status: string }>(
  row: Row,
): Omit<Row, 'args'> & { type: 'scan'; state: Row['status'] } {
  const { args: _args, ...rest } = row;
  return { type: 'scan', ...rest, state: row.status };
}

/** One opt-out as `optout list --json` and GET /api/v1/optouts give it (its scope in its one spelling). */
export interface OptOutRecord {
  type: 'optout';
  scope: string;
  kind: 'block' | 'asn';
  reason: string;
  by: string;
  created: string;
}

/** One opt-out from its row (the store's OptOutRow: the fields read here). */
export function optOutRecord(r: { scope: string; reason: string; by: string; created: string }): OptOutRecord {
  return {
    type: 'optout',
    scope: r.scope,
    kind: /^AS\d/.test(r.scope) ? 'asn' : 'block',
    reason: r.reason,
    by: r.by,
    created: r.created,
  };
}

/**
 * What the three feeds CERTs ingest (IntelMQ events, Shadowserver-layout CSV, STIX 2.1) share: which
 * services they carry (a finding of severity medium or above; suspected honeypots only when asked),
 * the application each speaks, when it was observed, and the network facts that are valid as such.
 * Only record facts, attribute names and counts: the model holds no patient value.
 */
import { counted, type ServiceRecord } from '../output/records.js';
import { bits, formatAddress, parseAddress, type Address } from '../targets/address.js';
import type { ReportModel } from './model.js';
import { type Severity, severityRank } from '../findings/catalogue.js';

export interface FeedOptions {
  /** Keep the services of suspected honeypots (left out by default). */
  includeHoneypots: boolean;
}

type Finding = ServiceRecord['findings'][number];

const FEED_SEVERITIES: ReadonlySet<string> = new Set<Severity>(['critical', 'high', 'medium']);

/** Findings that show patient data can be read (listed, downloaded or served in clear). */
const READS_PATIENT_DATA: ReadonlySet<string> = new Set([
  'dicom-open-query',
  'dicom-retrievable',
  'http-patient-list',
  'http-open-api',
  'http-default-credentials',
  'http-retrievable',
  'http-plain-phi',
]);

/** A service's findings of severity medium and above, the most severe first (stable otherwise). */
export function feedFindings(s: ServiceRecord): Finding[] {
  return s.findings
    .filter((f) => FEED_SEVERITIES.has(f.severity))
    .sort((a, b) => severityRank(a.severity) - severityRank(b.severity));
}

/** The services a feed carries, in the model's order. */
export function feedServices(m: ReportModel, o: FeedOptions): ServiceRecord[] {
  return m.services.filter((s) => (o.includeHoneypots || counted(s)) && feedFindings(s).length > 0);
}

/** Whether a stranger can read patient data here (a count found patients or identifying attributes, or a finding says so). */
export function readsPatientData(s: ServiceRecord): boolean {
  const e = s.exposure;
  if (e !== null && (e.patients > 0 || e.phi.length > 0)) return true;
  return s.findings.some((f) => READS_PATIENT_DATA.has(f.id));
}

/**
 * When a scan's services were observed: the scan's window (records carry no time of their own), as
 * ISO 8601 UTC with milliseconds. `last` is when the scan ended, or its start while unfinished.
 */
export function observedWindow(scan: ReportModel['scan']): { first: string; last: string } {
  const iso = (t: string) => new Date(t).toISOString();
  const first = iso(scan.started);
  return { first, last: scan.finished === null ? first : iso(scan.finished) };
}

/** The address of a record's host (the canonical text and family), or null when it is not one. */
export function hostAddress(host: string): { text: string; family: Address['family'] } | null {
  const a = parseAddress(host);
  return a === null ? null : { text: formatAddress(a), family: a.family };
}

/** A prefix as a CIDR network (no host bits set), canonical; null for a range or anything else. */
export function cidr(prefix: string | null | undefined): string | null {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(prefix ?? '');
  const a = m?.[1] === undefined ? null : parseAddress(m[1]);
  if (a === null || m?.[2] === undefined) return null;
  const len = Number(m[2]);
  if (len > bits(a.family)) return null;
  const host = BigInt(bits(a.family) - len);
  if ((a.value >> host) << host !== a.value) return null;
  return `${formatAddress(a)}/${len}`;
}

/** An ISO 3166-1 alpha-2 code, upper case, or null. */
export function countryCode(cc: string | null | undefined): string | null {
  return cc !== null && cc !== undefined && /^[A-Za-z]{2}$/.test(cc) ? cc.toUpperCase() : null;
}

/** An AS number in the range every feed accepts (1..4294967295), or null. */
export function asNumber(asn: number | null | undefined): number | null {
  return typeof asn === 'number' && Number.isInteger(asn) && asn > 0 && asn <= 4294967295 ? asn : null;
}

/** A text with content, trimmed, or null. */
export function text(v: string | null | undefined): string | null {
  const t = v?.trim() ?? '';
  return t === '' ? null : t;
}

/** The software a service runs, as far as it is known: the product, else the toolkit. */
export function software(s: ServiceRecord): { name: string; version: string | null } | null {
  const name = text(s.product) ?? text(s.dicom?.toolkit);
  if (name === null) return null;
  return { name, version: text(s.product) !== null ? text(s.version) : null };
}

/** The abuse contacts of a record's network, lower case, each once, in their order. */
export function abuseContacts(s: ServiceRecord): string[] {
  return [...new Set((s.network?.abuse ?? []).map((a) => a.trim().toLowerCase()).filter((a) => a !== ''))];
}

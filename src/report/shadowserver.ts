/**
 * `report --format shadowserver`: CSV in the layout of Shadowserver's scan reports (their leading
 * columns, then device and severity), then opendoor's own columns. One row per service with a finding
 * of severity medium or above. Columns Shadowserver fills that opendoor cannot (hostname, region,
 * city, NAICS, SIC, vendor) stay empty. Counts and attribute names only.
 */
import type { ServiceRecord } from '../output/records.js';
import { serviceLabel } from '../output/wording.js';
import {
  asNumber,
  countryCode,
  type FeedOptions,
  feedFindings,
  feedServices,
  hostAddress,
  observedWindow,
  software,
  text,
} from './feeds.js';
import type { ReportModel } from './model.js';
import { csvRows } from './text.js';

export const SHADOWSERVER_COLUMNS = [
  'timestamp',
  'ip',
  'protocol',
  'port',
  'hostname',
  'tag',
  'asn',
  'geo',
  'region',
  'city',
  'naics',
  'sic',
  'device_vendor',
  'device_type',
  'device_model',
  'device_version',
  'severity',
  'application',
  'implementation_class_uid',
  'implementation_version_name',
  'accepted_ae',
  'ae_policy',
  'http_auth',
  'patients',
  'studies',
  'instances',
  'phi_attributes',
  'finding_ids',
] as const;

/** Shadowserver's timestamp: UTC, `YYYY-MM-DD HH:MM:SS`. */
const timestamp = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;

/** How the DICOM door treats AE titles: any called title, a known one, refused; and whether any caller may come. */
function aePolicy(s: ServiceRecord): string | null {
  const d = s.dicom;
  if (d === null) return null;
  const called = d.anyCalledAe === true ? 'any-called-ae' : d.calledAe !== null ? 'known-called-ae' : 'refused';
  return d.anyCallingAe === true ? `${called};any-calling-ae` : called;
}

function row(s: ServiceRecord, at: string): Array<string | number | null> {
  const findings = feedFindings(s);
  const sw = software(s);
  const e = s.exposure;
  const d = s.dicom;
  return [
    at,
    hostAddress(s.host)?.text ?? s.host,
    'tcp',
    s.port,
    null,
    findings.map((f) => f.id).join(';'),
    asNumber(s.network?.asn),
    countryCode(s.network?.cc),
    null,
    null,
    null,
    null,
    null,
    'medical-imaging',
    sw?.name ?? null,
    sw?.version ?? null,
    findings[0]?.severity ?? null,
    serviceLabel(s, 'iana'),
    text(d?.implementationClassUid),
    text(d?.implementationVersionName),
    text(d?.calledAe),
    aePolicy(s),
    s.http?.auth ?? null,
    e?.patients ?? null,
    e?.studies ?? null,
    e?.instances ?? null,
    e === null ? null : e.phi.join(';'),
    findings.map((f) => f.id).join(';'),
  ];
}

/** The header row, then one row for each of these services (of that scan). */
export function shadowserverCsv(services: readonly ServiceRecord[], scan: ReportModel['scan']): string {
  const at = timestamp(observedWindow(scan).last);
  return csvRows([[...SHADOWSERVER_COLUMNS], ...services.map((s) => row(s, at))]);
}

export function toShadowserver(m: ReportModel, o: FeedOptions): string {
  return shadowserverCsv(feedServices(m, o), m.scan);
}

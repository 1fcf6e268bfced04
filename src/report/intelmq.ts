/**
 * `report --format intelmq`: JSON Lines, one IntelMQ event per service with a finding of severity
 * medium or above, as flat keys under IntelMQ's harmonization (what its JSON parser bot reads with
 * `splitlines`): RSIT taxonomy `vulnerable`, opendoor's facts under `extra.*`. Counts and attribute
 * names only.
 */
import type { ServiceRecord } from '../output/records.js';
import { serviceLabel } from '../output/wording.js';
import {
  abuseContacts,
  asNumber,
  cidr,
  countryCode,
  type FeedOptions,
  feedFindings,
  feedServices,
  hostAddress,
  observedWindow,
  readsPatientData,
  text,
} from './feeds.js';
import type { ReportModel } from './model.js';

/** A value IntelMQ accepts for a key: its types are strings, numbers and booleans; `extra.*` any JSON. */
type Value = string | number | boolean | string[];
export type IntelmqEvent = Record<string, Value>;

/** The traffic light every event carries: the details of open medical archives are not for publication. */
export const FEED_TLP = 'AMBER';

/** IntelMQ's DateTime: UTC as `+00:00`, whole seconds (what DateTime.from_isoformat accepts unchanged). */
export function intelmqTime(iso: string): string {
  return `${iso.slice(0, 19)}+00:00`;
}

/** opendoor's facts under `extra.*`: keys in IntelMQ's key format (lower case, digits, `_`), nulls left out. */
function extra(s: ServiceRecord, scanId: string): Array<[string, Value | null | undefined]> {
  const e = s.exposure;
  const d = s.dicom;
  const findings = feedFindings(s);
  return [
    ['scan_id', scanId],
    ['severity', findings[0]?.severity],
    ['finding_ids', findings.map((f) => f.id)],
    ['product', text(s.product)],
    ['version', text(s.version)],
    ['toolkit', text(d?.toolkit)],
    ['implementation_class_uid', text(d?.implementationClassUid)],
    ['implementation_version_name', text(d?.implementationVersionName)],
    ['accepted_ae', text(d?.calledAe)],
    ['any_called_ae', d?.anyCalledAe],
    ['any_calling_ae', d?.anyCallingAe],
    ['dicom_find', d?.find],
    ['retrievable', d?.retrieve ?? s.http?.retrieve],
    ['http_auth', s.http?.auth],
    ['http_api', text(s.http?.api)],
    ['patients', e?.patients],
    ['studies', e?.studies],
    ['series', e?.series],
    ['instances', e?.instances],
    ['count_complete', e?.complete],
    ['phi_attributes', e === null ? undefined : e.phi],
    ['tls', s.transport === 'tls'],
    ['tls_version', text(s.tls?.version)],
    ['tls_self_signed', s.tls?.selfSigned],
    ['honeypot_suspect', s.honeypot?.suspect === true ? true : undefined],
  ];
}

export function intelmqEvent(s: ServiceRecord, scan: ReportModel['scan']): IntelmqEvent {
  const at = intelmqTime(observedWindow(scan).last);
  const addr = hostAddress(s.host);
  const n = s.network;
  const abuse = abuseContacts(s);
  const app = serviceLabel(s, 'iana');
  const top = feedFindings(s)[0];
  const fields: Array<[string, Value | null | undefined]> = [
    ['feed.name', 'opendoor'],
    ['feed.accuracy', 100],
    ['time.source', at],
    ['time.observation', at],
    ['source.ip', addr?.text],
    ['source.port', s.port],
    ['source.asn', asNumber(n?.asn)],
    ['source.as_name', text(n?.asName)],
    ['source.network', cidr(n?.prefix)],
    ['source.geolocation.cc', countryCode(n?.cc)],
    ['source.abuse_contact', abuse.length > 0 ? abuse.join(',') : null],
    ['protocol.transport', 'tcp'],
    ['protocol.application', app],
    ['classification.taxonomy', 'vulnerable'],
    ['classification.type', readsPatientData(s) ? 'information-disclosure' : 'vulnerable-system'],
    ['classification.identifier', top?.id],
    ['tlp', FEED_TLP],
    ...extra(s, scan.id).map(([k, v]): [string, Value | null | undefined] => [`extra.${k}`, v]),
  ];
  const event: IntelmqEvent = {};
  for (const [k, v] of fields) if (v !== null && v !== undefined) event[k] = v;
  return event;
}

export function toIntelmq(m: ReportModel, o: FeedOptions): string {
  return feedServices(m, o)
    .map((s) => `${JSON.stringify(intelmqEvent(s, m.scan))}\n`)
    .join('');
}

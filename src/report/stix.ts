/**
 * `report --format stix`: one STIX 2.1 bundle. An `identity` for opendoor; per service with a finding
 * of severity medium or above an `observed-data` (the scan's window) whose references are the
 * address (`ipv4-addr`/`ipv6-addr`), the `network-traffic` to its port and the `software` where known,
 * and a `note` with the findings, counts and attribute names. Every id is deterministic, so two
 * exports of one scan are byte-equal: SDOs by UUIDv5 (RFC 9562 §5.5) from scan, host and port in
 * opendoor's namespace; SCOs by the STIX 2.1 rule (§2.9: UUIDv5 in the OASIS namespace over the
 * canonical JSON of the ID contributing properties).
 */
import { createHash } from 'node:crypto';
import type { ServiceRecord } from '../output/records.js';
import { serviceLabel } from '../output/wording.js';
import {
  type FeedOptions,
  feedFindings,
  feedServices,
  hostAddress,
  observedWindow,
  readsPatientData,
  software,
} from './feeds.js';
import type { ReportModel } from './model.js';

/** STIX 2.1 §2.9: the namespace of deterministic SCO ids. */
export const STIX_SCO_NAMESPACE = '00abedb4-aa42-466c-9c01-fed23315a9b7';
/** opendoor's own namespace: UUIDv5 of the name "opendoor" in the URL namespace of RFC 9562. */
export const OPENDOOR_NAMESPACE = uuidv5('6ba7b811-9dad-11d1-80b4-00c04fd430c8', 'opendoor');
/** STIX 2.1 §7.2.1.4: the predefined TLP:AMBER marking definition (the IntelMQ events' traffic light). */
export const TLP_AMBER = 'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82';
/** When opendoor's identity object was first written (fixed: one identity, one version). */
const IDENTITY_CREATED = '2026-12-06T00:00:00.000Z';

/** RFC 9562 §5.5: SHA-1 of namespace and name, version 5, variant 10. */
export function uuidv5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const b = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x50;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

type Json = string | number | boolean | Json[] | { [k: string]: Json };

/** JSON with object keys sorted (RFC 8785 for the strings, integers and arrays ids are made of). */
function canonical(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k] as Json)}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

type StixObject = { type: string; id: string } & Record<string, Json>;

/** An SCO with its deterministic id over the contributing properties given. */
function sco(type: string, props: Record<string, Json>, contributing: readonly string[]): StixObject {
  const basis: Record<string, Json> = {};
  for (const k of contributing) if (props[k] !== undefined) basis[k] = props[k] as Json;
  return { type, spec_version: '2.1', id: `${type}--${uuidv5(STIX_SCO_NAMESPACE, canonical(basis))}`, ...props };
}

const sdoId = (type: string, name: string) => `${type}--${uuidv5(OPENDOOR_NAMESPACE, name)}`;

export const OPENDOOR_IDENTITY: StixObject = {
  type: 'identity',
  spec_version: '2.1',
  id: sdoId('identity', 'opendoor'),
  created: IDENTITY_CREATED,
  modified: IDENTITY_CREATED,
  name: 'opendoor',
  description: 'Scanner and auditor of medical imaging archives left open on networks.',
  identity_class: 'system',
};

/** What the note tells: findings with their evidence, then counts and attribute names (never values). */
function noteContent(s: ServiceRecord): string {
  const lines = feedFindings(s).map((f) => `${f.severity} ${f.id}: ${f.title}. ${f.evidence}`);
  const e = s.exposure;
  if (e !== null)
    lines.push(
      `Readable by a stranger: ${e.patients} patients, ${e.studies} studies, ${e.instances} instances${e.complete ? '' : ' (count incomplete)'}; identifying attributes: ${e.phi.join(', ') || 'none'}.`,
    );
  if (s.dicom?.implementationClassUid)
    lines.push(
      `Implementation class UID ${s.dicom.implementationClassUid}; accepted AE ${s.dicom.calledAe ?? 'none'}.`,
    );
  return lines.join('\n');
}

function serviceObjects(s: ServiceRecord, scan: ReportModel['scan'], created: string): StixObject[] {
  const w = observedWindow(scan);
  const key = `${scan.id} ${s.host} ${s.port}`;
  const addr = hostAddress(s.host);
  const ip =
    addr === null
      ? sco('domain-name', { value: s.host }, ['value'])
      : sco(addr.family === 4 ? 'ipv4-addr' : 'ipv6-addr', { value: addr.text }, ['value']);
  const app = serviceLabel(s, 'iana');
  const traffic = sco(
    'network-traffic',
    {
      dst_ref: ip.id,
      dst_port: s.port,
      protocols: [addr?.family === 6 ? 'ipv6' : 'ipv4', 'tcp', ...(app === null ? [] : [app])],
    },
    ['start', 'end', 'src_ref', 'dst_ref', 'src_port', 'dst_port', 'protocols', 'extensions'],
  );
  const sw = software(s);
  const soft =
    sw === null
      ? null
      : sco('software', { name: sw.name, ...(sw.version === null ? {} : { version: sw.version }) }, [
          'name',
          'cpe',
          'swid',
          'vendor',
          'version',
        ]);
  const common = {
    spec_version: '2.1',
    created,
    modified: created,
    created_by_ref: OPENDOOR_IDENTITY.id,
    object_marking_refs: [TLP_AMBER],
  };
  const observed: StixObject = {
    type: 'observed-data',
    id: sdoId('observed-data', key),
    ...common,
    first_observed: w.first,
    last_observed: w.last,
    number_observed: 1,
    object_refs: [ip.id, traffic.id, ...(soft === null ? [] : [soft.id])],
  };
  const findings = feedFindings(s);
  const note: StixObject = {
    type: 'note',
    id: sdoId('note', key),
    ...common,
    abstract: `${addr?.family === 6 ? `[${addr.text}]` : s.host}:${s.port}: ${findings[0]?.title ?? ''}`,
    content: noteContent(s),
    authors: ['opendoor'],
    labels: [readsPatientData(s) ? 'information-disclosure' : 'vulnerable-system', ...findings.map((f) => f.id)],
    object_refs: [observed.id],
  };
  return [ip, traffic, ...(soft === null ? [] : [soft]), observed, note];
}

export function toStix(m: ReportModel, o: FeedOptions): string {
  const created = observedWindow(m.scan).last;
  const seen = new Set<string>();
  const objects: StixObject[] = [OPENDOOR_IDENTITY];
  for (const s of feedServices(m, o))
    for (const x of serviceObjects(s, m.scan, created))
      if (!seen.has(x.id)) {
        seen.add(x.id);
        objects.push(x);
      }
  const bundle = {
    type: 'bundle',
    id: `bundle--${uuidv5(OPENDOOR_NAMESPACE, `${m.scan.id} bundle${o.includeHoneypots ? ' with honeypots' : ''}`)}`,
    objects,
  };
  return `${JSON.stringify(bundle, null, 2)}\n`;
}

/**
 * Notices of a campaign (`opendoor notify`): a scan's exposed services (a finding of severity
 * medium and above, suspected honeypots left out: the feeds' choice) grouped by abuse contact, one
 * notice per contact, never one per host; and a notice's words, for a network operator who need not
 * know DICOM. Pure: records in, text out; only addresses, protocol facts, counts and attribute names.
 */
import { type ServiceRecord, counted } from '../output/records.js';
import { abuseContacts, feedFindings } from '../report/feeds.js';
import { serviceLabel } from '../output/wording.js';

export interface NoticeService {
  record: ServiceRecord;
  /** The findings this notice tells of (medium and above, not told before in the campaign). */
  findings: ServiceRecord['findings'];
}

export interface NoticeDraft {
  /** The abuse addresses, comma separated, lower case (the group's key). */
  contact: string;
  services: NoticeService[];
}

export interface Grouping {
  notices: NoticeDraft[];
  /** Exposed services no contact covers: counted, not sent (what to add to --contacts next). */
  unattributed: ServiceRecord[];
}

/** `notified` holds "host port finding" already told in the campaign: those are left out. */
export function groupNotices(services: Iterable<ServiceRecord>, notified: ReadonlySet<string>): Grouping {
  const groups = new Map<string, NoticeService[]>();
  const unattributed: ServiceRecord[] = [];
  for (const s of services) {
    if (!counted(s)) continue;
    const findings = feedFindings(s).filter((f) => !notified.has(`${s.host} ${s.port} ${f.id}`));
    if (findings.length === 0) continue;
    const contact = abuseContacts(s).join(',');
    if (contact === '') {
      unattributed.push(s);
      continue;
    }
    groups.set(contact, [...(groups.get(contact) ?? []), { record: s, findings }]);
  }
  const notices = [...groups]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([contact, services]) => ({ contact, services }));
  return { notices, unattributed };
}

/** What a stranger can do at this service, in words: query, retrieve, store. */
export function strangerCan(s: ServiceRecord): string[] {
  const can: string[] = [];
  const d = s.dicom;
  const h = s.http;
  if (d?.find === true) can.push('list patients and studies (DICOM query, C-FIND)');
  if (d?.retrieve === true) can.push('download images (DICOM retrieve, C-GET)');
  if (d?.storageAccepted === true) can.push('send images into the archive (DICOM storage is accepted)');
  if (d !== null && d !== undefined && can.length === 0 && d.anyCallingAe === true)
    can.push('open a DICOM connection without being a known peer');
  if (h !== null && h !== undefined) {
    if (h.auth === 'none') can.push('use the web interface or API without a password');
    if (h.auth === 'default-credentials') can.push("sign in to the web interface with the vendor's default password");
    if (h.retrieve === true) can.push('download images over HTTP');
  }
  if (can.length === 0) can.push(...s.findings.filter((f) => feedFindings(s).includes(f)).map((f) => f.title));
  return can;
}

function serviceLines(n: NoticeService, i: number): string[] {
  const s = n.record;
  const e = s.exposure;
  const runs = s.product !== null ? `${s.product}${s.version !== null ? ` ${s.version}` : ''}` : 'not identified';
  const lines = [
    `${i + 1}. ${s.host} port ${s.port}/tcp (${serviceLabel(s, 'prose')})`,
    `   Software: ${runs}`,
    `   Anyone on the internet who connects can: ${strangerCan(s).join('; ')}.`,
  ];
  if (e !== null && (e.patients > 0 || e.studies > 0 || e.instances > 0))
    lines.push(
      `   How much: ${e.patients} patients, ${e.studies} studies, ${e.instances} images${e.complete ? '' : ' (at least: the count was cut short)'}.`,
    );
  if (e !== null && e.phi.length > 0)
    lines.push(`   Identifying data a stranger receives (attribute names only): ${e.phi.join(', ')}.`);
  lines.push('   Findings:');
  for (const f of n.findings)
    lines.push(`   - [${f.severity}] ${f.title} (${f.id})`, `     How to close it: ${f.remediation}`);
  return lines;
}

export interface NoticeText {
  subject: string;
  text: string;
}

/** The notice in words: subject (the ticket in it) and plain text body. */
export function noticeText(
  d: NoticeDraft,
  o: { ticket: string; campaign: string; from: string; scanFinished: string | null },
): NoticeText {
  const n = d.services.length;
  const subject = `[${o.ticket}] Medical imaging ${n === 1 ? 'service' : 'services'} on your network open to anyone (${n})`;
  const when = o.scanFinished !== null ? ` on ${o.scanFinished.slice(0, 10)}` : '';
  const one = n === 1;
  const text = [
    'Hello,',
    '',
    `You receive this as the abuse contact for the addresses below. During a survey of medical imaging archives reachable from the internet${when}, we found ${n} ${one ? 'service' : 'services'} on your network that ${one ? 'answers' : 'answer'} anyone who connects, without a password. Such archives (PACS, DICOM servers) usually hold X-rays, CT and MRI scans with the names and birth dates of patients.`,
    '',
    'We did not copy any patient data: the survey counts records in memory and keeps only counts and the names of the data fields returned. The attached CSV lists the same services in the Shadowserver layout.',
    '',
    ...d.services.flatMap((s, i) => [...serviceLines(s, i), '']),
    'What to do: apply the fix named under each finding, or keep the service off the internet (firewall or VPN). If the data belongs to patients in the EU, the operator may have to notify its supervisory authority (GDPR art. 33).',
    '',
    `To reply, answer this mail and keep the ticket ${o.ticket} in the subject (${o.from}).`,
    'If you do not want your network to be scanned again, reply with "opt out" and the addresses or network: it goes on our opt-out list and gets no packet from us again.',
    '',
    `Ticket: ${o.ticket}`,
    `Campaign: ${o.campaign}`,
    '',
    '-- ',
    'Sent by opendoor, a scanner for medical imaging archives left open on networks.',
    '',
  ].join('\n');
  return { subject, text };
}

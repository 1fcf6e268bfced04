/**
 * Owner notification letters: one per owner (an --owners file maps CIDRs to organisation and
 * contact; without it, one per host), stating what is exposed, the approximate number of data
 * subjects, the categories of data (what a GDPR art. 33 notification needs), and the fixes.
 */
import type { ServiceRecord } from '../output/records.js';
import { type Contact, contactFor } from '../attribution/contacts.js';
import { isExposedRecord } from '../output/records.js';
import { isSerious } from '../findings/catalogue.js';
import { serviceLabel } from '../output/wording.js';
import { hostExposure, type ReportModel } from './model.js';
import { renderView } from './views.js';

export interface Letter {
  slug: string;
  organisation: string;
  contact: string;
  services: ServiceRecord[];
  dataSubjects: number;
  categories: string[];
  fixes: string[];
}

/** Owners from a contacts file (attribution/contacts.ts: its own lines or the older owners lines). */
export function letters(m: ReportModel, owners: readonly Contact[]): Letter[] {
  const groups = new Map<string, { organisation: string; contact: string; services: ServiceRecord[] }>();
  for (const s of m.services.filter(isExposedRecord)) {
    const owner = contactFor(owners, s.host, s.network?.asn ?? null);
    const organisation = owner === null ? null : (owner.name ?? owner.emails[0] ?? owner.scope.text);
    const k = organisation ?? `host ${s.host}`;
    const g = groups.get(k) ?? {
      organisation: organisation ?? `Operator of ${s.host}`,
      contact: owner?.emails.join(', ') ?? '',
      services: [],
    };
    g.services.push(s);
    groups.set(k, g);
  }
  return [...groups.values()].map((g) => ({
    ...g,
    slug:
      g.organisation
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, '') || 'owner',
    dataSubjects: [...hostExposure(g.services).values()].reduce((a, e) => a + e.patients, 0),
    categories: [...new Set(g.services.flatMap((s) => s.exposure?.phi ?? []))],
    fixes: [...new Set(g.services.flatMap((s) => s.findings.filter(isSerious).map((f) => f.remediation)))],
  }));
}

export function letterMarkdown(l: Letter, scanId: string): string {
  return [
    `To: ${l.organisation}${l.contact !== '' ? ` <${l.contact}>` : ''}`,
    '',
    `Subject: medical imaging services reachable without authorisation (opendoor scan ${scanId})`,
    '',
    `During an authorised exposure survey we found ${l.services.length} imaging service(s) of yours that answer strangers:`,
    '',
    ...l.services.map(
      (s) =>
        `- ${s.host}:${s.port} (${serviceLabel(s)}${s.product !== null ? `, ${s.product}` : ''}): ${s.findings
          .filter(isSerious)
          .map((f) => f.title)
          .join('; ')}`,
    ),
    '',
    `Approximate number of data subjects whose records can be read: ${l.dataSubjects}.`,
    `Categories of personal data a stranger receives: ${l.categories.join(', ') || 'none observed (services accept connections but returned no identifying attributes)'}.`,
    '',
    'No patient data was copied or kept: opendoor counts in memory and records only counts and attribute names.',
    'If these services hold personal data of EU residents, GDPR art. 33 may require notifying your supervisory authority within 72 hours of becoming aware.',
    '',
    'What to do:',
    '',
    ...l.fixes.map((f) => `- ${f}`),
    '',
  ].join('\n');
}

export function letterHtml(l: Letter, scanId: string): string {
  return renderView('letter', { title: l.organisation, lines: letterMarkdown(l, scanId).split('\n') });
}

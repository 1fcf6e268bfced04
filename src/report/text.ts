/** Markdown, CSV and JSON renderings of a report model (no patient values exist in the model). */
import { type ReportModel, clusterText, noteText, notesOf } from './model.js';
import { countryOf } from '../targets/country.js';
import { NOT_TESTED, accessText, serviceLabel, targetsText } from '../output/wording.js';

const n = (x: number) => x.toLocaleString('en-US');

export function toMarkdown(m: ReportModel): string {
  const h = m.headline;
  const out = [
    `# opendoor report — scan ${m.scan.id}`,
    '',
    `Started ${m.scan.started}, ${m.scan.status}; ${targetsText(m.scan.targets)}.`,
    '',
    '| services | exposed services | patients | studies | instances | linked images | retrievable |',
    '|---:|---:|---:|---:|---:|---:|---:|',
    `| ${n(h.services)} | ${n(h.exposedServices)} | ${n(h.patients)} | ${n(h.studies)} | ${n(h.instances)} | ${n(h.linkedImages)} | ${h.retrieveTested ? n(h.retrievable) : NOT_TESTED} |`,
    '',
    ...(h.honeypotServices > 0
      ? [
          `${n(h.honeypotServices)} service(s) on suspected honeypots: what they claim to hold is in no figure above.`,
          '',
        ]
      : []),
    ...(m.clusters.length > 0 ? ['## Clusters', '', ...m.clusters.map((c) => `- ${clusterText(c)}`), ''] : []),
    '## Exposure',
    '',
    `By severity: ${m.bySeverity.map(([s, c]) => `${s} ${c}`).join(', ')}.`,
    `Exposed services by product: ${m.byProduct.map(([p, c]) => `${p} ${c}`).join(', ') || 'none'}.`,
    `By port: ${m.byPort.map(([p, c]) => `${p} ${c}`).join(', ') || 'none'}. By country: ${m.byCountry.map(([p, c]) => `${p} ${c}`).join(', ') || 'none'}.`,
    `By network (exposed services): ${m.byNetwork.map(([p, c]) => `${p} ${c}`).join(', ') || 'none'}. By network (patients): ${m.byNetworkPatients.map(([p, c]) => `${p} ${c}`).join(', ') || 'none'}.`,
    '',
    '## Services',
    '',
    '| host | port | protocol | product | access | patients | studies | identifying attributes | top finding |',
    '|---|---:|---|---|---|---:|---:|---|---|',
    ...m.services.map((s) =>
      `| ${s.host} | ${s.port} | ${serviceLabel(s)} | ${[s.product, s.version].filter((x) => x !== null).join(' ') || '-'} | ${accessText(s)} | ${s.exposure?.patients ?? '-'} | ${s.exposure?.studies ?? '-'} | ${s.exposure?.phi.join(', ') || '-'} | ${s.findings[0] !== undefined ? `${s.findings[0].severity}: ${s.findings[0].id}` : '-'} |`.replace(
        /\n/g,
        ' ',
      ),
    ),
    '',
    '## Findings',
    '',
  ];
  for (const f of m.findings) {
    out.push(`### ${f.severity.toUpperCase()} — ${f.title} (\`${f.id}\`)`, '', f.why, '');
    for (const s of f.services)
      out.push(
        `- ${s.host}:${s.port}${s.product !== null ? ` (${s.product})` : ''}: ${s.evidence}${s.note !== null ? ` _[${noteText(s.note)}]_` : ''}`,
      );
    const fixes = [...new Set(f.services.map((s) => s.remediation))];
    out.push('', `**Fix:** ${fixes.join(' / ')}`, '');
    if (f.references.length > 0) out.push(`References: ${f.references.join('; ')}.`, '');
  }
  return `${out.join('\n')}\n`;
}

/**
 * One CSV cell (RFC 4180: quoted when it holds a quote, comma or line break). A text a spreadsheet
 * would run as a formula (first character `=`, `+`, `-`, `@`, tab or CR; OWASP "CSV injection") gets
 * a leading `'`: servers choose their banners, titles and AE titles. Numbers are written as numbers.
 */
export function csvCell(v: string | number | null): string {
  if (typeof v === 'number') return String(v);
  const raw = v ?? '';
  const t = /^[=+\-@\t\r]/.test(raw) ? `'${raw}` : raw;
  return /[",\r\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
}

/** Rows as CSV text, one line each. */
export function csvRows(rows: ReadonlyArray<ReadonlyArray<string | number | null>>): string {
  return `${rows.map((r) => r.map(csvCell).join(',')).join('\n')}\n`;
}

/** One row a service, then one row a finding (kind column tells them apart). */
export function toCsv(m: ReportModel): string {
  const rows: Array<Array<string | number | null>> = [
    [
      'kind',
      'scanId',
      'host',
      'port',
      'transport',
      'protocol',
      'product',
      'version',
      'country',
      'calledAe',
      'auth',
      'patients',
      'studies',
      'series',
      'instances',
      'complete',
      'phi',
      'findingId',
      'severity',
      'title',
      'evidence',
      'remediation',
      'note',
    ],
  ];
  const notes = notesOf(m);
  for (const s of m.services) {
    const e = s.exposure;
    const base = [
      m.scan.id,
      s.host,
      s.port,
      s.transport,
      s.protocol,
      s.product,
      s.version,
      countryOf(s.host),
      s.dicom?.calledAe ?? null,
      s.http?.auth ?? null,
    ];
    rows.push([
      'service',
      ...base,
      e?.patients ?? null,
      e?.studies ?? null,
      e?.series ?? null,
      e?.instances ?? null,
      e === null ? null : String(e.complete),
      e?.phi.join(' ') ?? null,
      null,
      null,
      null,
      null,
      null,
      null,
    ]);
    for (const f of s.findings)
      rows.push([
        'finding',
        ...base,
        null,
        null,
        null,
        null,
        null,
        null,
        f.id,
        f.severity,
        f.title,
        f.evidence,
        f.remediation,
        notes.get(`${s.host} ${s.port} ${f.id}`) ?? null,
      ]);
  }
  return csvRows(rows);
}

export function toJson(m: ReportModel): string {
  return `${JSON.stringify({ type: 'report', ...m }, null, 2)}\n`;
}

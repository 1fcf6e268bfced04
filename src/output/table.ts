/** The human summary: one row a service, then the scan totals. Plain text, stdout. */
import type { ServiceRecord, SummaryRecord } from './records.js';
import { calledAeText, count, serviceLabel, targetsText } from './wording.js';

function row(cells: string[], widths: number[]): string {
  return cells
    .map((c, i) => c.padEnd(widths[i] ?? 0))
    .join('  ')
    .trimEnd();
}

/** Lines of cells as aligned columns (each as wide as its widest cell), one text line each. */
export function columns(lines: readonly string[][]): string {
  const widths = (lines[0] ?? []).map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length)));
  return lines.map((l) => `${row(l, widths)}\n`).join('');
}

function accessOf(r: ServiceRecord): string {
  const d = r.dicom;
  if (d !== null) {
    if (d.calledAe === null) return d.rejection !== null ? `rejected (${d.rejection.meaning})` : '-';
    const ae = calledAeText(d);
    const ops = [
      d.echo === true ? 'echo' : null,
      d.find === true ? 'find' : null,
      d.getAccepted === true ? 'get' : null,
      d.moveAccepted === true ? 'move' : null,
      d.storageAccepted === true ? 'store' : null,
    ].filter((x) => x !== null);
    return `${ae}; ${ops.join(',') || 'no services'}`;
  }
  if (r.http !== null) return `HTTP ${r.http.status ?? '?'}${r.http.auth !== null ? `, auth ${r.http.auth}` : ''}`;
  if (r.tls?.clientCertRequired === true) return 'client certificate required';
  return r.error?.detail ?? '-';
}

function hostKey(host: string): string {
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
  return v4 === null
    ? host
    : v4
        .slice(1)
        .map((p) => p.padStart(3, '0'))
        .join('.');
}

export function renderTable(unsorted: Iterable<ServiceRecord>, summary: SummaryRecord): string {
  const records = [...unsorted].sort((a, b) => hostKey(a.host).localeCompare(hostKey(b.host)) || a.port - b.port);
  const header = ['HOST', 'PORT', 'PROTO', 'PRODUCT', 'ACCESS', 'READABLE', 'TOP FINDING'];
  const rows = records.map((r) => [
    r.host,
    String(r.port),
    serviceLabel(r),
    [r.product, r.version].filter((x) => x !== null).join(' ') || '-',
    accessOf(r),
    r.exposure !== null
      ? `${r.exposure.patients} patients, ${r.exposure.studies} studies${r.exposure.complete ? '' : '+'}`
      : '-',
    r.findings[0] !== undefined ? `${r.findings[0].severity}: ${r.findings[0].id}` : '-',
  ]);
  const widths = header.map((h, i) => Math.min(48, Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length))));
  const lines = [row(header, widths), ...rows.map((r) => row(r, widths))];
  const secs = (summary.elapsedMs / 1000).toFixed(1);
  const readable =
    summary.patients > 0
      ? `; readable by strangers: ${summary.patients} patients, ${summary.studies} studies, ${summary.instances} instances`
      : '';
  lines.push(
    '',
    `scan ${summary.scanId}: ${targetsText(summary.targets)}, ${count(summary.services, 'service')}, ${summary.exposedServices} exposed${readable}, ${secs} s`,
  );
  if (summary.optedOut > 0)
    lines.push(`${summary.optedOut} targets left out by the opt-out list (opendoor optout list): nothing sent to them`);
  return `${lines.join('\n')}\n`;
}

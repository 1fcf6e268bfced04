/**
 * The HTML report: one self-contained file (inline CSS and SVG charts, no script, no network at
 * view time), rendered from views/report.eta (views.ts: every value a server sent escaped there).
 * Here only what the view shows is worked out: figures, chart geometry, table cells.
 */
import { NOT_TESTED, accessText, serviceLabel, targetsText } from '../output/wording.js';
import { type ReportModel, clusterText, noteText } from './model.js';
import { renderView } from './views.js';

const n = (x: number) => x.toLocaleString('en-US');
const COLORS: Record<string, string> = {
  critical: '#b00020',
  high: '#e65100',
  medium: '#f9a825',
  low: '#1565c0',
  info: '#607d8b',
};

/** A horizontal bar chart (inline SVG): at most 12 bars, the longest 300 px. */
function chart(id: string, title: string, data: ReadonlyArray<readonly [string, number]>) {
  const max = Math.max(1, ...data.map(([, v]) => v));
  const rows = data.slice(0, 12).map(([label, value], i) => {
    const width = Math.round((value / max) * 300);
    return { label, value, width, y: 22 * i, fill: COLORS[label] ?? '#455a64' };
  });
  return { id, title, rows, height: 22 * rows.length + 8 };
}

export function toHtml(m: ReportModel): string {
  const h = m.headline;
  const figure = (id: string, label: string, value: number | string) => ({
    id,
    label,
    value: typeof value === 'number' ? n(value) : value,
  });
  return renderView('report', {
    m,
    colors: Object.entries(COLORS),
    targets: targetsText(m.scan.targets),
    figures: [
      figure('h-services', 'services', h.services),
      figure('h-exposed', 'exposed services', h.exposedServices),
      figure('h-patients', 'patients', h.patients),
      figure('h-studies', 'studies', h.studies),
      figure('h-instances', 'instances', h.instances),
      figure('h-linked', 'linked images', h.linkedImages),
      figure('h-retrievable', 'retrievable services', h.retrieveTested ? h.retrievable : NOT_TESTED),
    ],
    honeypots: h.honeypotServices > 0 ? n(h.honeypotServices) : null,
    clusters: m.clusters.map(clusterText),
    charts: [
      chart('c-severity', 'Findings by severity', m.bySeverity),
      chart('c-product', 'Exposed services by product', m.byProduct),
      chart('c-port', 'Exposed services by port', m.byPort),
      chart('c-country', 'Exposed services by country', m.byCountry),
      chart('c-network', 'Exposed services by network', m.byNetwork),
      chart('c-network-patients', 'Patients by network', m.byNetworkPatients),
    ],
    services: m.services.map((s) => ({
      host: s.host,
      port: s.port,
      label: serviceLabel(s),
      product: [s.product, s.version].filter((x) => x !== null).join(' ') || '-',
      access: accessText(s),
      patients: s.exposure?.patients ?? '-',
      studies: s.exposure?.studies ?? '-',
      phi: s.exposure?.phi.join(', ') || '-',
      top: s.findings[0] ?? null,
    })),
    findings: m.findings.map((f) => ({
      ...f,
      fixes: [...new Set(f.services.map((s) => s.remediation))],
      services: f.services.map((s) => ({ ...s, note: s.note !== null ? noteText(s.note) : null })),
    })),
  });
}

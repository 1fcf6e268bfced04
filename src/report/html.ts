/**
 * The HTML report: one self-contained file (inline CSS and SVG charts, no script, no network at
 * view time). Every string that came from a server is escaped.
 */
import { NOT_TESTED, accessText, targetsText } from '../output/wording.js';
import { type ReportModel, clusterText, noteText } from './model.js';

export function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const n = (x: number) => x.toLocaleString('en-US');
const COLORS: Record<string, string> = {
  critical: '#b00020',
  high: '#e65100',
  medium: '#f9a825',
  low: '#1565c0',
  info: '#607d8b',
};

/** A horizontal bar chart as inline SVG. */
function bars(title: string, data: ReadonlyArray<readonly [string, number]>, id: string): string {
  const max = Math.max(1, ...data.map(([, v]) => v));
  const rows = data.slice(0, 12);
  const h = 22 * rows.length + 8;
  const body = rows
    .map(([k, v], i) => {
      const w = Math.round((v / max) * 300);
      return `<text x="0" y="${22 * i + 16}" font-size="12">${esc(k)}</text><rect x="130" y="${22 * i + 4}" width="${w}" height="14" fill="${COLORS[k] ?? '#455a64'}"/><text x="${136 + w}" y="${22 * i + 16}" font-size="12" data-value="${v}">${v}</text>`;
    })
    .join('');
  return `<figure id="${id}"><figcaption>${esc(title)}</figcaption>${rows.length === 0 ? '<p>none</p>' : `<svg role="img" aria-label="${esc(title)}" width="480" height="${h}" viewBox="0 0 480 ${h}">${body}</svg>`}</figure>`;
}

export function toHtml(m: ReportModel): string {
  const h = m.headline;
  const figure = (id: string, label: string, value: number | string) =>
    `<div class="fig"><div class="v" id="${id}">${typeof value === 'number' ? n(value) : esc(value)}</div><div class="l">${esc(label)}</div></div>`;
  const services = m.services
    .map((s) => {
      const top = s.findings[0];
      return `<tr><td>${esc(s.host)}</td><td>${s.port}</td><td>${esc(s.protocol)}${s.transport === 'tls' ? '/tls' : ''}</td><td>${esc([s.product, s.version].filter((x) => x !== null).join(' ') || '-')}</td><td>${esc(accessText(s))}</td><td class="num">${s.exposure?.patients ?? '-'}</td><td class="num">${s.exposure?.studies ?? '-'}</td><td>${esc(s.exposure?.phi.join(', ') || '-')}</td><td>${top !== undefined ? `<span class="sev ${esc(top.severity)}">${esc(top.severity)}</span> ${esc(top.id)}` : '-'}</td></tr>`;
    })
    .join('\n');
  const findings = m.findings
    .map((f) => {
      const fixes = [...new Set(f.services.map((s) => s.remediation))];
      return `<section class="finding" id="f-${esc(f.id)}"><h3><span class="sev ${esc(f.severity)}">${esc(f.severity)}</span> ${esc(f.title)} <code>${esc(f.id)}</code></h3><p>${esc(f.why)}</p><ul>${f.services.map((s) => `<li>${esc(s.host)}:${s.port}${s.product !== null ? ` (${esc(s.product)})` : ''} — ${esc(s.evidence)}${s.note !== null ? ` <em class="note">[${esc(noteText(s.note))}]</em>` : ''}</li>`).join('')}</ul><p><strong>Fix:</strong> ${fixes.map(esc).join('<br>')}</p>${f.references.length > 0 ? `<p class="refs">${f.references.map(esc).join(' · ')}</p>` : ''}</section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>opendoor report ${esc(m.scan.id)}</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1b1b1b;max-width:1200px}
h1{font-size:1.5rem}.meta{color:#555}.figs{display:flex;flex-wrap:wrap;gap:1rem;margin:1rem 0}
.fig{border:1px solid #ddd;border-radius:8px;padding:.8rem 1.2rem;min-width:9rem}.fig .v{font-size:1.8rem;font-weight:700}.fig .l{color:#555}
.charts{display:flex;flex-wrap:wrap;gap:2rem}figure{margin:0}figcaption{font-weight:600;margin-bottom:.3rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border-bottom:1px solid #eee;padding:.3rem .5rem;text-align:left}td.num{text-align:right}
.sev{color:#fff;border-radius:4px;padding:0 .4rem;font-size:.8rem}${Object.entries(COLORS)
    .map(([k, c]) => `.sev.${k}{background:${c}}`)
    .join('')}
.finding{border-left:4px solid #ddd;padding-left:1rem;margin:1rem 0}.refs{color:#555;font-size:.85rem}
</style></head>
<body>
<h1>opendoor report</h1>
<p class="meta">Scan <code id="scan-id">${esc(m.scan.id)}</code>, started ${esc(m.scan.started)}, ${esc(m.scan.status)}, ${esc(targetsText(m.scan.targets))}. No patient data appears in this report: only counts and the names of the attributes a stranger can read.</p>
<div class="figs">
${figure('h-services', 'services', h.services)}${figure('h-exposed', 'exposed services', h.exposedServices)}${figure('h-patients', 'patients', h.patients)}${figure('h-studies', 'studies', h.studies)}${figure('h-instances', 'instances', h.instances)}${figure('h-linked', 'linked images', h.linkedImages)}${figure('h-retrievable', 'retrievable services', h.retrieveTested ? h.retrievable : NOT_TESTED)}
</div>
${h.honeypotServices > 0 ? `<p class="meta" id="honeypots">${n(h.honeypotServices)} service(s) on suspected honeypots: what they claim to hold is in no figure above.</p>` : ''}
${m.clusters.length > 0 ? `<h2>Clusters</h2>\n<ul id="clusters">${m.clusters.map((c) => `<li>${esc(clusterText(c))}</li>`).join('')}</ul>` : ''}
<h2>Exposure</h2>
<div class="charts">
${bars('Findings by severity', m.bySeverity, 'c-severity')}
${bars('Exposed services by product', m.byProduct, 'c-product')}
${bars('Exposed services by port', m.byPort, 'c-port')}
${bars('Exposed services by country', m.byCountry, 'c-country')}
${bars('Exposed services by network', m.byNetwork, 'c-network')}
${bars('Patients by network', m.byNetworkPatients, 'c-network-patients')}
</div>
<h2>Services</h2>
<table id="services"><thead><tr><th>host</th><th>port</th><th>protocol</th><th>product</th><th>access</th><th>patients</th><th>studies</th><th>identifying attributes</th><th>top finding</th></tr></thead>
<tbody>
${services}
</tbody></table>
<h2>Findings and what to do</h2>
${findings}
</body></html>
`;
}

/**
 * A monitor's alert in words, for its e-mail recipients: what the webhook body carries (what is
 * new, fixed and changed against the monitor's previous scan), with a link to the dashboard's diff
 * page. Addresses, ports, products and finding ids only: the alert holds no patient value.
 */
import type { Alert } from '../serve/monitors.js';

export function alertMail(a: Alert, dashboard: string): { subject: string; text: string } {
  const link = `${dashboard.replace(/\/$/, '')}/diff?a=${encodeURIComponent(a.previousScanId)}&b=${encodeURIComponent(a.scanId)}`;
  const service = (s: { host: string; port: number; product: string | null }) =>
    `${s.host} port ${s.port}${s.product !== null ? ` (${s.product})` : ''}`;
  const text = [
    `Monitor "${a.monitor}" compared its scan ${a.scanId} with the one before (${a.previousScanId}).`,
    '',
    `Newly exposed (${a.new.length}):`,
    ...(a.new.length === 0
      ? ['  none']
      : a.new.map((s) => `  - ${service(s)}: ${s.findings.join(', ') || 'no finding'}`)),
    '',
    `Fixed (${a.fixed.length}):`,
    ...(a.fixed.length === 0
      ? ['  none']
      : a.fixed.map((s) => `  - ${service(s)}: ${s.now === 'gone' ? 'no longer answers' : 'no longer exposed'}`)),
    '',
    `Changed (${a.changed.length}):`,
    ...(a.changed.length === 0
      ? ['  none']
      : a.changed.map((c) => `  - ${c.host} port ${c.port}: ${c.changes.join('; ')}`)),
    '',
    `The whole comparison: ${link}`,
    '',
    '-- ',
    'Sent by opendoor serve (monitors).',
    '',
  ].join('\n');
  const subject = `[opendoor] ${a.monitor}: ${a.new.length} new, ${a.fixed.length} fixed, ${a.changed.length} changed`;
  return { subject, text };
}

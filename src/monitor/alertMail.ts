/**
 * A monitor's alert by e-mail: in words for its recipients — what the webhook body carries (what is
 * new, fixed and changed against the monitor's previous scan), with a link to the dashboard's diff
 * page; addresses, ports, products and finding ids only: the alert holds no patient value — and
 * sent through the server's SMTP relay (notify/mail.ts: pacing, retries), the outcome kept with the alert.
 */
import { type Mailer, compose } from '../notify/mail.js';
import type { Store } from '../store/store.js';
import type { Logger } from '../util/log.js';
import type { Alert } from './alert.js';

/** How serve sends alert mail: its SMTP server, sender, and the dashboard's address for links. */
export interface AlertMailConfig {
  mailer: Mailer;
  from: string;
  dashboard: () => string;
}

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

/** The alert in words to the monitor's addresses (retried as notices are); the outcome kept with the alert. */
export async function sendAlertMail(
  store: Store,
  log: Logger,
  mail: AlertMailConfig,
  id: string,
  to: readonly string[],
  alert: Alert,
): Promise<void> {
  try {
    const words = alertMail(alert, mail.dashboard());
    const raw = await compose({ from: mail.from, to, ...words });
    const r = await mail.mailer.send(mail.from, to, raw);
    await store.monitors.mailed(id, r.error);
    if (!r.ok) log.warn(`alert ${id}: mail failed after ${r.attempts} attempts: ${r.error}`);
  } catch (e) {
    log.warn(`alert ${id}: mail: ${e instanceof Error ? e.name : 'failed'}`);
  }
}

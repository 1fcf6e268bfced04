/**
 * `opendoor notify [SCAN_ID] --campaign NAME`: one notice per abuse contact of a scan's exposed
 * services (notify/notices.ts), each with its ticket and a Shadowserver-layout CSV of its services.
 * A dry run (the default) prints what would go to whom and writes each notice as an `.eml` into
 * `-o DIR`; `--send` sends them over SMTP, paced (`--mail-rate` a minute), retried, each notice's
 * outcome stored, so a rerun sends only what was never sent. Exit 1 when a send failed.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Attributor } from '../attribution/attribute.js';
import { isEmail } from '../attribution/contacts.js';
import { type NoticeDraft, groupNotices, noticeText } from '../notify/notices.js';
import { Mailer, compose, pacer, parseSmtpUrl } from '../notify/mail.js';
import type { ServiceRecord } from '../output/records.js';
import { buildModel } from '../report/model.js';
import { shadowserverCsv } from '../report/shadowserver.js';
import { openStore } from '../store/open.js';
import { storedDepth } from '../engine/storedArgs.js';
import { makeDirs } from '../util/fs.js';
import { createLogger } from '../util/log.js';
import { type AttributionCliOptions, attributionArgs } from '../attribution/options.js';
import { UsageError, type Io } from './io.js';

export interface NotifyCliOptions extends AttributionCliOptions {
  db?: string;
  campaign: string;
  smtp?: string;
  from?: string;
  send?: boolean;
  json?: boolean;
  output?: string;
  mailRate: string;
}

/** A campaign's name: what `campaign show NAME` and the dashboard's path take. */
export function checkCampaignName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name))
    throw new UsageError(`a campaign name is 1-64 letters, digits, "_", "." or "-", got "${name}"`);
  return name;
}

export interface NoticeRecord {
  type: 'notice';
  ticket: string;
  campaign: string;
  contact: string;
  services: Array<{ host: string; port: number; findings: string[] }>;
  state: 'dry-run' | 'sent' | 'failed';
  error?: string;
}

const recordOf = (
  d: NoticeDraft,
  ticket: string,
  campaign: string,
  state: NoticeRecord['state'],
  error: string | null,
): NoticeRecord => ({
  type: 'notice',
  ticket,
  campaign,
  contact: d.contact,
  services: d.services.map((s) => ({
    host: s.record.host,
    port: s.record.port,
    findings: s.findings.map((f) => f.id),
  })),
  state,
  ...(error !== null ? { error } : {}),
});

export async function notifyCommand(scanId: string | undefined, o: NotifyCliOptions, io: Io): Promise<number> {
  const campaign = checkCampaignName(o.campaign);
  const send = o.send === true;
  if (!/^\d{1,5}$/.test(o.mailRate) || Number(o.mailRate) < 1)
    throw new UsageError(`--mail-rate must be a whole number of mails a minute (1 or more), got "${o.mailRate}"`);
  const from = o.from ?? 'opendoor@localhost';
  if (o.from !== undefined && !isEmail(o.from)) throw new UsageError(`--from must be an e-mail address`);
  if (send && (o.smtp === undefined || o.from === undefined))
    throw new UsageError('--send needs --smtp URL and --from ADDRESS');
  const smtp = o.smtp !== undefined ? parseSmtpUrl('--smtp', o.smtp) : null;
  const attribution = attributionArgs(o, io);
  if (o.output !== undefined) {
    try {
      makeDirs(o.output);
    } catch (e) {
      throw new UsageError(`cannot write notices to ${o.output}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  const log = createLogger('warn', io.stderr);
  const store = await openStore(o.db, { readOnly: !send });
  const mailer = send && smtp !== null ? new Mailer(smtp) : null;
  try {
    const id = scanId ?? (await store.latestScanId());
    if (id === null) throw new UsageError(`no scans in ${store.where}`);
    const row = await store.scan(id);
    const m = await buildModel(store, id);
    if (row === null || m === null) throw new UsageError(`no scan ${id} in ${store.where}`);
    let services: ServiceRecord[] = m.services;
    if (attribution !== undefined) {
      const attributor = new Attributor(attribution, { log, cache: store.rdap, timeoutMs: 5000 });
      try {
        services = await attributor.attribute(services);
      } finally {
        await attributor.close();
      }
    }
    const known = await store.campaigns.get(campaign);
    if (known !== null && known.scanId !== id)
      log.warn(`campaign ${campaign} began with scan ${known.scanId}; adding what scan ${id} found that it never told`);
    const notified = known !== null ? await store.campaigns.notified(campaign) : new Set<string>();
    const { notices, unattributed } = groupNotices(services, notified);
    const depth = storedDepth(row.args) ?? 'count';
    if (send && notices.length > 0) await store.campaigns.ensure(campaign, depth, id);
    const preview = send ? [] : await store.campaigns.nextTickets(new Date(), notices.length);
    const pace = pacer(Number(o.mailRate));
    let sent = 0;
    let failed = 0;
    for (const [i, d] of notices.entries()) {
      const ticket = send
        ? await store.campaigns.addNotice(
            {
              campaign,
              contact: d.contact,
              scanId: id,
              services: d.services.map((s) => ({
                host: s.record.host,
                port: s.record.port,
                findings: s.findings.map((f) => f.id),
                asn: s.record.network?.asn ?? null,
                asName: s.record.network?.asName ?? null,
                cc: s.record.network?.cc ?? null,
                record: JSON.stringify(s.record),
              })),
            },
            new Date(),
          )
        : (preview[i] as string);
      const words = noticeText(d, { ticket, campaign, from, scanFinished: m.scan.finished });
      const to = d.contact.split(',');
      const raw = await compose({
        from,
        to,
        subject: words.subject,
        text: words.text,
        attachments: [
          {
            filename: `${ticket}.csv`,
            contentType: 'text/csv; charset=utf-8',
            content: shadowserverCsv(
              d.services.map((s) => s.record),
              m.scan,
            ),
          },
        ],
      });
      if (o.output !== undefined) writeFileSync(path.join(o.output, `${ticket}.eml`), raw);
      let state: NoticeRecord['state'] = 'dry-run';
      let error: string | null = null;
      if (mailer !== null) {
        await pace();
        const r = await mailer.send(from, to, raw);
        state = r.ok ? 'sent' : 'failed';
        error = r.error;
        if (r.ok) sent++;
        else failed++;
        await store.campaigns.setNoticeState(ticket, state, error);
      }
      const rec = recordOf(d, ticket, campaign, state, error);
      if (o.json === true) io.stdout(`${JSON.stringify(rec)}\n`);
      else
        io.stdout(
          `${ticket}  ${state}  ${d.contact}  ${rec.services.map((s) => `${s.host}:${s.port}`).join(' ')}${error !== null ? `  (${error})` : ''}\n`,
        );
    }
    const summary = {
      type: 'notify-summary',
      campaign,
      notices: notices.length,
      services: notices.reduce((a, d) => a + d.services.length, 0),
      unattributed: unattributed.length,
      sent,
      failed,
    };
    if (o.json === true) io.stdout(`${JSON.stringify(summary)}\n`);
    else {
      for (const s of unattributed)
        io.stdout(`unattributed  ${s.host}:${s.port}  (no abuse contact: add it to --contacts)\n`);
      io.stdout(
        `${summary.notices} notices, ${summary.services} services, ${summary.unattributed} unattributed${send ? `, ${sent} sent, ${failed} failed` : ' (dry run: nothing sent; --send sends)'}\n`,
      );
    }
    return failed > 0 ? 1 : 0;
  } finally {
    mailer?.close();
    await store.close();
  }
}

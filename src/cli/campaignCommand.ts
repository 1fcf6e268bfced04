/**
 * `opendoor campaign list | show NAME | recheck NAME`: what a notification campaign told whom, and
 * whether the doors closed (notify/campaign.ts figures, notify/recheck.ts probes).
 */
import { type CampaignView, loadCampaign } from '../notify/campaign.js';
import { NoSuchCampaign, recheckCampaign } from '../notify/recheck.js';
import { openStore } from '../store/open.js';
import { createLogger } from '../util/log.js';
import { UsageError, type Io } from './io.js';
import { intOption } from '../engine/scanOptions.js';
import { checkCampaignName } from './notifyCommand.js';

const pct = (r: number) => `${Math.round(r * 1000) / 10}%`;

export async function campaignListCommand(o: { db?: string; json?: boolean }, io: Io): Promise<number> {
  const store = await openStore(o.db, { readOnly: true });
  try {
    for (const c of await store.campaigns.list()) {
      const v = (await loadCampaign(store, c.name)) as CampaignView;
      const { items: _items, curve: _curve, byAsn: _a, byCountry: _c, ...head } = v;
      if (o.json === true) io.stdout(`${JSON.stringify(head)}\n`);
      else
        io.stdout(
          `${v.name}  ${v.created.slice(0, 10)}  ${v.notices} notices  ${v.services} services  ${v.closed} closed (${pct(v.closedRate)})\n`,
        );
    }
    return 0;
  } finally {
    await store.close();
  }
}

function showText(v: CampaignView): string {
  const lines = [
    `campaign ${v.name} (scan ${v.scanId}, begun ${v.created.slice(0, 10)}${v.lastChecked !== null ? `, last rechecked ${v.lastChecked.slice(0, 16)}` : ', never rechecked'})`,
    `${v.notices} notices, ${v.services} services, ${v.closed} closed (${pct(v.closedRate)}), median days to close: ${v.medianDaysToClose ?? '-'}`,
    '',
  ];
  for (const n of v.items) {
    lines.push(
      `${n.ticket}  ${n.state}  ${n.contact}  sent ${n.sent?.slice(0, 10) ?? '-'}${n.error !== null ? `  (${n.error})` : ''}`,
    );
    for (const s of n.services)
      lines.push(
        `  ${s.host}:${s.port}  ${s.state ?? 'not rechecked'}${s.closed !== null ? `  closed ${s.closed.slice(0, 10)} (${s.daysToClose} days)` : ''}`,
      );
  }
  lines.push('', 'by AS:');
  for (const a of v.byAsn)
    lines.push(
      `  ${a.asn !== null ? `AS${a.asn}` : 'unknown'} ${a.asName ?? ''}  ${a.closed}/${a.services} (${pct(a.closedRate)})`,
    );
  lines.push('by country:');
  for (const c of v.byCountry) lines.push(`  ${c.cc ?? 'unknown'}  ${c.closed}/${c.services} (${pct(c.closedRate)})`);
  return `${lines.join('\n')}\n`;
}

export async function campaignShowCommand(name: string, o: { db?: string; json?: boolean }, io: Io): Promise<number> {
  checkCampaignName(name);
  const store = await openStore(o.db, { readOnly: true });
  try {
    const v = await loadCampaign(store, name);
    if (v === null) throw new UsageError(`no campaign ${name} in ${store.where}`);
    const { curve: _curve, ...rest } = v;
    io.stdout(o.json === true ? `${JSON.stringify(rest)}\n` : showText(v));
    return 0;
  } finally {
    await store.close();
  }
}

export async function campaignRecheckCommand(
  name: string,
  o: { db?: string; timeout: string; json?: boolean },
  io: Io,
): Promise<number> {
  checkCampaignName(name);
  const timeoutMs = intOption('timeout', o.timeout, 50, 600000);
  const store = await openStore(o.db);
  try {
    const r = await recheckCampaign(store, name, { log: createLogger('warn', io.stderr), timeoutMs }).catch(
      (e: unknown) => {
        if (e instanceof NoSuchCampaign) throw new UsageError(`no campaign ${name} in ${store.where}`);
        throw e;
      },
    );
    for (const s of r.services)
      io.stdout(
        o.json === true
          ? `${JSON.stringify({ type: 'recheck', campaign: name, scanId: r.scanId, ...s })}\n`
          : `${s.host}:${s.port}  ${s.state}\n`,
      );
    const closed = r.services.filter((s) => s.state === 'closed').length;
    io.stderr(`opendoor: campaign ${name} rechecked (scan ${r.scanId}): ${closed} of ${r.services.length} closed\n`);
    return 0;
  } finally {
    await store.close();
  }
}

/**
 * Was the door closed? Pure judgements of a campaign: a notified service against what a recheck
 * found there, and the campaign's figures (closed share, median days from notice to closed, the
 * same by AS and by country, the remediation curve) from the store's rows; loadCampaign reads them.
 */
import type { ServiceRecord } from '../output/records.js';
import { feedFindings } from '../report/feeds.js';
import type { CampaignServiceRow, NoticeRow, RecheckState, Store } from '../store/store.js';

/**
 * - `closed`: nothing answers (refused, filtered), or it answers and exposes nothing any more;
 * - `changed`: something else answers (another protocol or product);
 * - `open`: every finding notified is still there;
 * - `partly-closed`: still reachable, some of the exposure gone (queries refused, associations still accepted).
 */
export function recheckState(before: ServiceRecord, after: ServiceRecord | undefined): RecheckState {
  if (after === undefined || after.protocol === 'silent') return 'closed';
  if (after.protocol !== before.protocol) return 'changed';
  if (before.product !== null && after.product !== null && before.product !== after.product) return 'changed';
  const now = new Set(feedFindings(after).map((f) => f.id));
  if (now.size === 0) return 'closed';
  return feedFindings(before).every((f) => now.has(f.id)) ? 'open' : 'partly-closed';
}

const DAY_MS = 86_400_000;

export interface Share {
  services: number;
  closed: number;
  closedRate: number;
}

export interface CampaignServiceView {
  host: string;
  port: number;
  state: RecheckState | null;
  checked: string | null;
  closed: string | null;
  daysToClose: number | null;
}

export interface CampaignNoticeView {
  type: 'notice';
  ticket: string;
  contact: string;
  state: NoticeRow['state'];
  created: string;
  sent: string | null;
  error: string | null;
  services: CampaignServiceView[];
}

export interface CampaignView extends Share {
  type: 'campaign';
  name: string;
  scanId: string;
  created: string;
  notices: number;
  medianDaysToClose: number | null;
  lastChecked: string | null;
  byAsn: Array<Share & { asn: number | null; asName: string | null }>;
  byCountry: Array<Share & { cc: string | null }>;
  /** The remediation curve: [days since notice, share closed by then], a step at each closing. */
  curve: Array<[number, number]>;
  items: CampaignNoticeView[];
}

const share = (rows: readonly { closed: boolean }[]): Share => {
  const closed = rows.filter((r) => r.closed).length;
  return { services: rows.length, closed, closedRate: rows.length === 0 ? 0 : closed / rows.length };
};

const round1 = (n: number) => Math.round(n * 10) / 10;

function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function tally<K>(rows: ReadonlyArray<{ key: K; closed: boolean }>, keyOf: (k: K) => string): Array<[K, Share]> {
  const groups = new Map<string, { key: K; rows: { closed: boolean }[] }>();
  for (const r of rows) {
    const k = keyOf(r.key);
    const g = groups.get(k) ?? { key: r.key, rows: [] };
    g.rows.push(r);
    groups.set(k, g);
  }
  return [...groups.values()]
    .map((g): [K, Share] => [g.key, share(g.rows)])
    .sort((a, b) => b[1].services - a[1].services || keyOf(a[0]).localeCompare(keyOf(b[0])));
}

/** The campaign's figures over the services of notices that went out. */
export function campaignView(
  c: { name: string; scanId: string; created: string },
  notices: readonly NoticeRow[],
  services: readonly CampaignServiceRow[],
): CampaignView {
  const byTicket = new Map(notices.map((n) => [n.ticket, n]));
  const told = services.filter((s) => byTicket.get(s.ticket)?.state === 'sent');
  const days = (s: CampaignServiceRow): number | null => {
    const sent = byTicket.get(s.ticket)?.sent;
    return s.closed === null || sent === null || sent === undefined
      ? null
      : round1(Math.max(0, Date.parse(s.closed) - Date.parse(sent)) / DAY_MS);
  };
  const rows = told.map((s) => ({ s, closed: s.state === 'closed', days: days(s) }));
  const closedDays = rows.flatMap((r) => (r.closed && r.days !== null ? [r.days] : []));
  const steps = [...new Set(closedDays)].sort((a, b) => a - b);
  const curve: Array<[number, number]> = [
    [0, 0],
    ...steps.map((d): [number, number] => [d, closedDays.filter((x) => x <= d).length / Math.max(1, rows.length)]),
  ];
  const checked = told.map((s) => s.checked).filter((x): x is string => x !== null);
  return {
    type: 'campaign',
    name: c.name,
    scanId: c.scanId,
    created: c.created,
    notices: notices.filter((n) => n.state === 'sent').length,
    ...share(rows),
    medianDaysToClose: median(closedDays),
    lastChecked: checked.sort().at(-1) ?? null,
    byAsn: tally(
      rows.map((r) => ({ key: { asn: r.s.asn, asName: r.s.asName }, closed: r.closed })),
      (k) => String(k.asn ?? ''),
    ).map(([k, v]) => ({ asn: k.asn, asName: k.asName, ...v })),
    byCountry: tally(
      rows.map((r) => ({ key: r.s.cc, closed: r.closed })),
      (k) => k ?? '',
    ).map(([k, v]) => ({ cc: k, ...v })),
    curve,
    items: notices.map((n) => ({
      type: 'notice',
      ticket: n.ticket,
      contact: n.contact,
      state: n.state,
      created: n.created,
      sent: n.sent,
      error: n.error,
      services: services
        .filter((s) => s.ticket === n.ticket)
        .map((s) => ({
          host: s.host,
          port: s.port,
          state: s.state,
          checked: s.checked,
          closed: s.closed,
          daysToClose: days(s),
        })),
    })),
  };
}

/** A campaign's figures as the store holds them now, or null when there is no such campaign. */
export async function loadCampaign(store: Store, name: string): Promise<CampaignView | null> {
  const c = await store.campaigns.get(name);
  if (c === null) return null;
  return campaignView(c, await store.campaigns.notices(name), await store.campaigns.services(name));
}

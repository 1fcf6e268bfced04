/**
 * Notification campaigns as the SQL store keeps them: the campaign, its notices (one per contact,
 * a ticket unique in the store), what each notice carried (service and finding, so a rerun sends
 * nothing twice and resends what failed), and each notified service with its recheck state.
 */
import type { SqlRunner } from './runner.js';
import type {
  CampaignRow,
  CampaignServiceRow,
  CampaignStore,
  NewNotice,
  NoticeRow,
  NoticeState,
  RecheckState,
} from './store.js';

const CAMPAIGN = 'SELECT name, depth, scan_id AS "scanId", created FROM campaigns';
const NOTICE = `SELECT ticket, campaign, contact, scan_id AS "scanId", created, state, error, sent FROM notices`;
const SERVICE = `SELECT campaign, host, port, ticket, asn, as_name AS "asName", cc, record, state, checked, closed
  FROM campaign_services`;

/** `OD-20261206-`: the day's prefix of tickets (UTC). */
const dayPrefix = (day: Date) => `OD-${day.toISOString().slice(0, 10).replace(/-/g, '')}-`;
const ticketOf = (prefix: string, n: number) => `${prefix}${String(n).padStart(4, '0')}`;

export class SqlCampaigns implements CampaignStore {
  constructor(private readonly q: SqlRunner) {}

  async ensure(name: string, depth: string, scanId: string): Promise<CampaignRow> {
    await this.q.write(() =>
      this.q.db.run(
        'INSERT INTO campaigns (name, depth, scan_id, created) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING',
        [name, depth, scanId, new Date().toISOString()],
      ),
    );
    return (await this.get(name)) as CampaignRow;
  }

  async get(name: string): Promise<CampaignRow | null> {
    return (await this.q.read<CampaignRow>(`${CAMPAIGN} WHERE name = ?`, [name]))[0] ?? null;
  }

  async list(): Promise<CampaignRow[]> {
    const rows = await this.q.read<CampaignRow>(CAMPAIGN);
    return rows.sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : a.name < b.name ? -1 : 1));
  }

  async notified(campaign: string): Promise<Set<string>> {
    const rows = await this.q.read<{ host: string; port: number; finding: string }>(
      `SELECT i.host, i.port, i.finding FROM notice_items i JOIN notices n ON n.ticket = i.ticket
        WHERE i.campaign = ? AND n.state = 'sent'`,
      [campaign],
    );
    return new Set(rows.map((r) => `${r.host} ${r.port} ${r.finding}`));
  }

  /** The highest number taken today (0: none), read inside a write's transaction or alone. */
  private async taken(prefix: string, inWrite: boolean): Promise<number> {
    const sql = 'SELECT ticket FROM notices WHERE substr(ticket, 1, ?) = ?';
    const params = [prefix.length, prefix];
    const rows = inWrite
      ? await this.q.db.all<{ ticket: string }>(sql, params)
      : await this.q.read<{ ticket: string }>(sql, params);
    return rows.reduce((max, r) => Math.max(max, Number(r.ticket.slice(prefix.length)) || 0), 0);
  }

  async nextTickets(day: Date, n: number): Promise<string[]> {
    const prefix = dayPrefix(day);
    const max = await this.taken(prefix, false);
    return Array.from({ length: n }, (_, i) => ticketOf(prefix, max + i + 1));
  }

  addNotice(n: NewNotice, day: Date): Promise<string> {
    return this.q.write(async () => {
      const prefix = dayPrefix(day);
      const ticket = ticketOf(prefix, (await this.taken(prefix, true)) + 1);
      const now = new Date().toISOString();
      await this.q.db.run(
        'INSERT INTO notices (ticket, campaign, contact, scan_id, created, state) VALUES (?, ?, ?, ?, ?, ?)',
        [ticket, n.campaign, n.contact, n.scanId, now, 'pending'],
      );
      for (const s of n.services) {
        for (const f of s.findings)
          await this.q.db.run(
            `INSERT INTO notice_items (campaign, host, port, finding, ticket) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (campaign, host, port, finding) DO UPDATE SET ticket = excluded.ticket`,
            [n.campaign, s.host, s.port, f, ticket],
          );
        // a service keeps the notice that reached its owner; one whose notice failed takes the new one
        await this.q.db.run(
          `INSERT INTO campaign_services (campaign, host, port, ticket, asn, as_name, cc, record)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (campaign, host, port) DO UPDATE SET ticket = excluded.ticket,
           asn = excluded.asn, as_name = excluded.as_name, cc = excluded.cc, record = excluded.record
           WHERE campaign_services.ticket IN (SELECT ticket FROM notices WHERE state <> 'sent')`,
          [n.campaign, s.host, s.port, ticket, s.asn, s.asName, s.cc, s.record],
        );
      }
      return ticket;
    });
  }

  async setNoticeState(ticket: string, state: NoticeState, error: string | null): Promise<void> {
    await this.q.write(() =>
      this.q.db.run('UPDATE notices SET state = ?, error = ?, sent = ? WHERE ticket = ?', [
        state,
        error,
        state === 'sent' ? new Date().toISOString() : null,
        ticket,
      ]),
    );
  }

  async notices(campaign: string): Promise<NoticeRow[]> {
    const rows = await this.q.read<NoticeRow>(`${NOTICE} WHERE campaign = ?`, [campaign]);
    return rows.sort((a, b) => (a.ticket < b.ticket ? -1 : 1));
  }

  async services(campaign: string): Promise<CampaignServiceRow[]> {
    const rows = await this.q.read<CampaignServiceRow>(`${SERVICE} WHERE campaign = ?`, [campaign]);
    return rows.sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : a.port - b.port));
  }

  async recheck(campaign: string, host: string, port: number, state: RecheckState, at: string): Promise<void> {
    await this.q.write(() =>
      this.q.db.run(
        `UPDATE campaign_services SET state = ?, checked = ?,
           closed = CASE WHEN ? = 'closed' THEN COALESCE(closed, ?) ELSE NULL END
         WHERE campaign = ? AND host = ? AND port = ?`,
        [state, at, state, at, campaign, host, port],
      ),
    );
  }
}

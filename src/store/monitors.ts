/**
 * Monitors, their alerts and notes as the SQL store keeps them. A monitor's run is claimed in the
 * database (one row, one UPDATE), so two runs of one monitor never overlap, whichever process or
 * machine starts them; a claim whose scan ended or vanished (a server killed mid-run) is taken over.
 */
import type { SqlRunner } from './runner.js';
import type { AlertRow, MonitorRow, MonitorScope, MonitorStore, NoteRow, NoteStore } from './store.js';

const MONITOR =
  'SELECT name, request, schedule, timezone, webhook, secret, email, created, running, last_scan AS "lastScan" FROM monitors';

/** A monitor's stored request, checked: a campaign, or targets with their ports and depth (a damaged one: no targets). */
function scopeOf(json: string): MonitorScope {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return { targets: [] };
  }
  if (typeof v !== 'object' || v === null) return { targets: [] };
  const { campaign, targets, ports, depth } = v as Record<string, unknown>;
  if (typeof campaign === 'string') return { campaign };
  return {
    targets: Array.isArray(targets) ? targets.filter((t): t is string => typeof t === 'string') : [],
    ...(typeof ports === 'string' ? { ports } : {}),
    ...(typeof depth === 'string' ? { depth } : {}),
  };
}

const monitorOf = (
  r: Omit<MonitorRow, 'email' | 'request'> & { email: string | null; request: string },
): MonitorRow => ({
  ...r,
  request: scopeOf(r.request),
  email: r.email === null ? [] : (JSON.parse(r.email) as string[]),
});
const ALERT = `SELECT id, monitor, scan_id AS "scanId", previous_scan_id AS "previousScanId", payload, created, delivered,
  attempts, last_error AS "lastError", mailed, mail_error AS "mailError" FROM alerts`;

export class SqlMonitors implements MonitorStore {
  constructor(private readonly q: SqlRunner) {}

  put(m: Omit<MonitorRow, 'created' | 'running' | 'lastScan'>): Promise<'added' | 'updated'> {
    const email = m.email.length > 0 ? JSON.stringify(m.email) : null;
    const request = JSON.stringify(m.request);
    return this.q.write(async () => {
      const changed = await this.q.db.run(
        'UPDATE monitors SET request = ?, schedule = ?, timezone = ?, webhook = ?, secret = ?, email = ? WHERE name = ?',
        [request, m.schedule, m.timezone, m.webhook, m.secret, email, m.name],
      );
      if (changed === 1) return 'updated';
      await this.q.db.run(
        'INSERT INTO monitors (name, request, schedule, timezone, webhook, secret, email, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [m.name, request, m.schedule, m.timezone, m.webhook, m.secret, email, new Date().toISOString()],
      );
      return 'added';
    });
  }

  async list(): Promise<MonitorRow[]> {
    return (await this.q.read<Parameters<typeof monitorOf>[0]>(`${MONITOR} ORDER BY name`)).map(monitorOf);
  }

  async get(name: string): Promise<MonitorRow | null> {
    const row = (await this.q.read<Parameters<typeof monitorOf>[0]>(`${MONITOR} WHERE name = ?`, [name]))[0];
    return row === undefined ? null : monitorOf(row);
  }

  async claim(name: string, scanId: string): Promise<boolean> {
    const n = await this.q.write(() =>
      this.q.db.run(
        `UPDATE monitors SET running = ? WHERE name = ? AND (running IS NULL
           OR running IN (SELECT id FROM scans WHERE status IN ('done', 'interrupted'))
           OR running NOT IN (SELECT id FROM scans))`,
        [scanId, name],
      ),
    );
    return n === 1;
  }

  async release(name: string, scanId: string, finished: boolean): Promise<void> {
    await this.q.write(() =>
      this.q.db.run(
        finished
          ? 'UPDATE monitors SET running = NULL, last_scan = ? WHERE name = ? AND running = ?'
          : 'UPDATE monitors SET running = NULL WHERE name = ? AND running = ?',
        finished ? [scanId, name, scanId] : [name, scanId],
      ),
    );
  }

  async addAlert(a: Omit<AlertRow, 'delivered' | 'attempts' | 'lastError' | 'mailed' | 'mailError'>): Promise<void> {
    await this.q.write(() =>
      this.q.db.run(
        'INSERT INTO alerts (id, monitor, scan_id, previous_scan_id, payload, created) VALUES (?, ?, ?, ?, ?, ?)',
        [a.id, a.monitor, a.scanId, a.previousScanId, a.payload, a.created],
      ),
    );
  }

  async alerts(limit: number, offset: number): Promise<{ items: AlertRow[]; total: number }> {
    const items = await this.q.read<AlertRow>(`${ALERT} ORDER BY created DESC, id LIMIT ? OFFSET ?`, [limit, offset]);
    const total = (await this.q.read<{ n: number }>('SELECT COUNT(*) AS n FROM alerts'))[0]?.n ?? 0;
    return { items, total };
  }

  async pendingAlerts(attempts: number): Promise<number> {
    const rows = await this.q.read<{ n: number | string }>(
      `SELECT COUNT(*) AS n FROM alerts a JOIN monitors m ON m.name = a.monitor
       WHERE a.delivered IS NULL AND a.attempts < ? AND m.webhook IS NOT NULL`,
      [attempts],
    );
    return Number(rows[0]?.n ?? 0);
  }

  async delivery(id: string, attempts: number, error: string | null): Promise<void> {
    await this.q.write(() =>
      this.q.db.run('UPDATE alerts SET attempts = ?, last_error = ?, delivered = ? WHERE id = ?', [
        attempts,
        error,
        error === null ? new Date().toISOString() : null,
        id,
      ]),
    );
  }

  async mailed(id: string, error: string | null): Promise<void> {
    await this.q.write(() =>
      this.q.db.run('UPDATE alerts SET mailed = ?, mail_error = ? WHERE id = ?', [
        error === null ? new Date().toISOString() : null,
        error,
        id,
      ]),
    );
  }
}

export class SqlNotes implements NoteStore {
  constructor(private readonly q: SqlRunner) {}

  async put(n: Omit<NoteRow, 'updated'>): Promise<void> {
    await this.q.write(() =>
      this.q.db.run(
        `INSERT INTO notes (host, port, finding, state, note, by_user, updated) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (host, port, finding) DO UPDATE SET state = excluded.state, note = excluded.note,
         by_user = excluded.by_user, updated = excluded.updated`,
        [n.host, n.port, n.finding, n.state, n.note, n.by, new Date().toISOString()],
      ),
    );
  }

  async forHosts(hosts: readonly string[]): Promise<NoteRow[]> {
    const out: NoteRow[] = [];
    const unique = [...new Set(hosts)];
    for (let i = 0; i < unique.length; i += 500) {
      const part = unique.slice(i, i + 500);
      out.push(
        ...(await this.q.read<NoteRow>(
          `SELECT host, port, finding, state, note, by_user AS "by", updated FROM notes WHERE host IN (${part.map(() => '?').join(', ')})`,
          part,
        )),
      );
    }
    return out;
  }
}

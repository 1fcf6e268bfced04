/**
 * Monitors: a named scope rescanned on a cron schedule in an IANA time zone (croner). A run is
 * claimed in the store first, so one monitor never runs twice at once, in this process or another.
 * When the run's scan is done it is compared with the monitor's previous one (report/diff.ts); what
 * is new, fixed or changed — less what people acknowledged or accepted as a risk — becomes an alert
 * (alert.ts), kept in the store, POSTed to the monitor's webhook (webhook.ts: the contract's JSON,
 * signed with HMAC) and mailed to its addresses (alertMail.ts). Nothing here is HTTP serving: serve
 * starts the monitors, and anything else that holds a store and a way to start scans could.
 */
import { randomBytes } from 'node:crypto';
import { Cron } from 'croner';
import { newScanId } from '../engine/scan.js';
import { diffStored } from '../report/diff.js';
import type { MonitorRow, MonitorScope, Store } from '../store/store.js';
import { InputError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { isEmail } from '../attribution/contacts.js';
import { recheckCampaign } from '../notify/recheck.js';
import { type Alert, unacknowledged } from './alert.js';
import { type AlertMailConfig, sendAlertMail } from './alertMail.js';
import { Webhooks } from './webhook.js';

export class MonitorInputError extends InputError {
  override readonly name = 'MonitorInputError';
}

/** A scan's scope and options, as a monitor keeps them (and as the dashboard's launcher takes them). */
export interface ScanScope {
  targets: string[];
  ports?: string;
  depth?: string;
}

/**
 * How a monitor's scans start, wherever it runs: the dashboard's launcher (serve/launcher.ts) is one.
 * `check` applies a scan's rules exactly (an InputError when the CLI would refuse it), before a
 * monitor is stored.
 */
export interface MonitorScans {
  start(r: ScanScope, id: string): Promise<string>;
  check(r: ScanScope): unknown;
}

export interface MonitorRequest extends Omit<ScanScope, 'targets'> {
  name: string;
  /** The scope: targets, or a campaign whose notified services are rechecked (`campaign recheck`). */
  targets?: string[];
  campaign?: string;
  schedule: string;
  timezone: string;
  webhook?: string;
  /** Addresses the alert mail goes to (serve --smtp, --mail-from). */
  email?: string[];
}

/** How often a running monitor's scan is looked at. */
const POLL_MS = 1000;
const NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;

/** The check a schedule gets before it is stored: croner reads it (and the zone) or says why not. */
function cron(schedule: string, timezone: string, paused: boolean, fn?: () => void): Cron {
  try {
    const c = new Cron(schedule, { timezone, paused, protect: true, catch: true }, fn);
    c.nextRun();
    return c;
  } catch (e) {
    throw new MonitorInputError(
      `schedule "${schedule}" in ${timezone}: ${e instanceof Error ? e.message.split('.')[0] : 'invalid'}`,
    );
  }
}

export class Monitors {
  private readonly crons = new Map<string, Cron>();
  private readonly runs = new Set<Promise<void>>();
  private stopping = false;
  readonly webhooks: Webhooks;

  constructor(
    private readonly store: Store,
    private readonly scans: MonitorScans,
    private readonly log: Logger,
    private readonly mail: AlertMailConfig | null = null,
  ) {
    this.webhooks = new Webhooks(store, log);
  }

  /** Schedule every stored monitor; send the alerts a stopped server had not delivered. */
  async start(): Promise<void> {
    for (const m of await this.store.monitors.list()) this.schedule(m);
    await this.webhooks.resume();
  }

  /** Validate and store a monitor (new, or changed), then (re)schedule it. Answers its webhook secret when one was made. */
  async put(r: MonitorRequest): Promise<{ name: string; secret: string | null }> {
    if (!NAME.test(r.name))
      throw new MonitorInputError(
        'a monitor name is 1-64 letters, digits, spaces or . _ - (starting with a letter or digit)',
      );
    cron(r.schedule, r.timezone, true).stop();
    if ((r.campaign === undefined) === (r.targets === undefined))
      throw new MonitorInputError('a monitor has targets or a campaign (one of them)');
    if (r.campaign !== undefined && (await this.store.campaigns.get(r.campaign)) === null)
      throw new MonitorInputError(`no campaign ${r.campaign}`);
    if (r.targets !== undefined) this.scans.check({ ...r, targets: r.targets }); // a scan's rules exactly
    const email = r.email ?? [];
    if (email.length > 20 || email.some((a) => !isEmail(a)))
      throw new MonitorInputError('email must be a list of at most 20 e-mail addresses');
    if (email.length > 0 && this.mail === null)
      throw new MonitorInputError('alert mail needs serve --smtp URL --mail-from ADDRESS');
    if (r.webhook !== undefined && !/^https?:\/\/[^\s]+$/.test(r.webhook))
      throw new MonitorInputError('the webhook must be an http(s) URL');
    if (r.webhook !== undefined) {
      try {
        new URL(r.webhook);
      } catch {
        throw new MonitorInputError('the webhook must be an http(s) URL');
      }
    }
    const old = await this.store.monitors.get(r.name);
    const secret = r.webhook === undefined ? null : (old?.secret ?? randomBytes(32).toString('base64url'));
    const request: MonitorScope =
      r.campaign !== undefined
        ? { campaign: r.campaign }
        : {
            targets: r.targets ?? [],
            ...(r.ports !== undefined ? { ports: r.ports } : {}),
            ...(r.depth !== undefined ? { depth: r.depth } : {}),
          };
    await this.store.monitors.put({
      name: r.name,
      request,
      schedule: r.schedule,
      timezone: r.timezone,
      webhook: r.webhook ?? null,
      secret,
      email,
    });
    const row = await this.store.monitors.get(r.name);
    if (row !== null) this.schedule(row);
    return { name: r.name, secret: secret !== null && secret !== old?.secret ? secret : null };
  }

  nextRun(name: string): Date | null {
    return this.crons.get(name)?.nextRun() ?? null;
  }

  /** A run now (or, while one is in progress, none): resolves when it is over. */
  runNow(name: string): Promise<void> {
    const run = this.run(name).finally(() => this.runs.delete(run));
    this.runs.add(run);
    return run;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const c of this.crons.values()) c.stop();
    this.webhooks.stop();
    await Promise.allSettled([...this.runs]);
  }

  private schedule(m: MonitorRow): void {
    this.crons.get(m.name)?.stop();
    this.crons.set(
      m.name,
      cron(m.schedule, m.timezone, false, () => void this.runNow(m.name)),
    );
  }

  private async run(name: string): Promise<void> {
    const m = await this.store.monitors.get(name);
    if (m === null || this.stopping) return;
    const scanId = newScanId();
    if (!(await this.store.monitors.claim(name, scanId))) {
      this.log.info(`monitor ${name}: its previous run is still going; this one skipped`);
      return;
    }
    let finished = false;
    try {
      const request = m.request;
      if ('campaign' in request)
        await recheckCampaign(this.store, request.campaign, {
          log: this.log,
          scanId,
          shouldStop: () => this.stopping,
        });
      else await this.scans.start(request, scanId);
      const state = await this.ended(scanId);
      finished = state === 'done';
      if (finished && m.lastScan !== null) await this.alert(m, m.lastScan, scanId);
    } catch (e) {
      this.log.warn(`monitor ${name}: ${e instanceof Error ? e.message : 'run failed'}`);
    } finally {
      await this.store.monitors.release(name, scanId, finished);
    }
  }

  private async ended(scanId: string): Promise<string> {
    for (;;) {
      const row = await this.store.scan(scanId);
      if (row === null || row.status === 'done' || row.status === 'interrupted') return row?.status ?? 'interrupted';
      if (this.stopping) return 'interrupted';
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  private async alert(m: MonitorRow, previous: string, scanId: string): Promise<void> {
    const d = await diffStored(this.store, previous, scanId);
    if (typeof d === 'string') return; // the previous scan was removed: nothing to compare with
    const hosts = [...d.new, ...d.fixed, ...d.changed].map((s) => s.host);
    const rest = unacknowledged(d, await this.store.notes.forHosts(hosts));
    if (rest.new.length + rest.fixed.length + rest.changed.length === 0) return;
    const alert: Alert = { type: 'alert', monitor: m.name, scanId, previousScanId: previous, ...rest };
    const id = `${scanId}-${randomBytes(3).toString('hex')}`;
    await this.store.monitors.addAlert({
      id,
      monitor: m.name,
      scanId,
      previousScanId: previous,
      payload: JSON.stringify(alert),
      created: new Date().toISOString(),
    });
    this.log.info(
      `monitor ${m.name}: alert ${id} (${rest.new.length} new, ${rest.fixed.length} fixed, ${rest.changed.length} changed)`,
    );
    if (m.webhook !== null && m.secret !== null) this.webhooks.send(id, m.webhook, m.secret, JSON.stringify(alert));
    if (m.email.length > 0 && this.mail !== null)
      void sendAlertMail(this.store, this.log, this.mail, id, m.email, alert);
  }
}

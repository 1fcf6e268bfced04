/**
 * `opendoor serve`: the dashboard and its JSON API on the store `--db` names, until SIGTERM/SIGINT.
 * Loopback by default; another address needs TLS (--tls-cert/--tls-key) or --allow-plain-http.
 * Scans it starts follow the CLI's rules with serve's own exclusions and bounds.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { openStore } from '../store/open.js';
import { createLogger } from '../util/log.js';
import { UsageError, type Io } from './io.js';
import { intOption } from '../engine/scanOptions.js';
import type { AttributionCliOptions } from '../attribution/options.js';
import type { ScanRequest } from '../serve/launcher.js';
import { isEmail } from '../attribution/contacts.js';
import { Mailer, parseSmtpUrl } from '../notify/mail.js';
import { METRICS_TOKEN, type MetricsAccess } from '../metrics/route.js';

/** Read connections of serve's store beside its writer (PostgreSQL: a pool of this many; SQLite: one). */
const SERVE_READERS = 4;

export interface ServeCliOptions extends AttributionCliOptions {
  db?: string;
  listen: string;
  tlsCert?: string;
  tlsKey?: string;
  allowPlainHttp?: boolean;
  exclude?: string;
  excludeFile?: string;
  rate: string;
  concurrency: string;
  timeout: string;
  scansAtOnce: string;
  verbose?: boolean;
  quiet?: boolean;
  /** Alert mail for monitors with `email`: the SMTP server and the sender. */
  smtp?: string;
  mailFrom?: string;
  /** GET /metrics for this Bearer token (none: no metrics, 404). */
  metricsToken?: string;
}

/** HOST:PORT, [IPv6]:PORT. */
export function parseListen(s: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(s);
  const host = m?.[1] ?? m?.[2];
  if (m === null || host === undefined || Number(m[3]) > 65535)
    throw new UsageError(`--listen must be HOST:PORT or [IPv6]:PORT, got "${s}"`);
  return { host, port: Number(m[3]) };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (net.isIPv4(host)) return host.startsWith('127.');
  return host === '::1';
}

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new UsageError(`cannot read the TLS ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/** Said at start on a store without accounts: nobody can sign in yet. */
export function noAccount(ownDb: boolean): string {
  return `opendoor: no account yet, so nobody can sign in: add one with \`opendoor user add NAME --role admin\`${ownDb ? ' and the same --db' : ''} (its password one line on stdin), then sign in\n`;
}

/** Said on SIGTERM/SIGINT: which scans it leaves resumable, when it runs any. */
export function stopping(running: readonly string[]): string {
  if (running.length === 0) return 'opendoor: stopping\n';
  const resume = running.map((id) => `opendoor scan --resume ${id}`).join(', ');
  return `opendoor: stopping: ${running.length === 1 ? 'the running scan stops' : `${running.length} running scans stop`} taking hosts (resume with ${resume})\n`;
}

export async function serveCommand(o: ServeCliOptions, io: Io): Promise<number> {
  const { host, port } = parseListen(o.listen);
  if ((o.tlsCert === undefined) !== (o.tlsKey === undefined))
    throw new UsageError('--tls-cert and --tls-key go together');
  const tls =
    o.tlsCert !== undefined && o.tlsKey !== undefined
      ? { cert: readPem(o.tlsCert, 'certificate'), key: readPem(o.tlsKey, 'key') }
      : undefined;
  if (tls === undefined && !isLoopback(host) && o.allowPlainHttp !== true)
    throw new UsageError(
      `${host} is not a loopback address: give --tls-cert and --tls-key, or --allow-plain-http to send passwords in the clear`,
    );
  const policy = {
    ...(o.exclude !== undefined ? { exclude: o.exclude } : {}),
    ...(o.excludeFile !== undefined ? { excludeFile: o.excludeFile } : {}),
    rate: String(intOption('rate', o.rate, 1, 100000)),
    concurrency: String(intOption('concurrency', o.concurrency, 1, 4096)),
    timeout: String(intOption('timeout', o.timeout, 50, 600000)),
    ...(o.asnData !== undefined ? { asnData: o.asnData } : {}),
    ...(o.contacts !== undefined ? { contacts: o.contacts } : {}),
    ...(o.rdap !== undefined ? { rdap: o.rdap } : {}),
    ...(o.rdapUrl !== undefined ? { rdapUrl: o.rdapUrl } : {}),
    ...(o.rdapTtl !== undefined ? { rdapTtl: o.rdapTtl } : {}),
    ...(o.rdapRate !== undefined ? { rdapRate: o.rdapRate } : {}),
  };
  const parallel = intOption('scans-at-once', o.scansAtOnce, 1, 64);
  if ((o.smtp === undefined) !== (o.mailFrom === undefined)) throw new UsageError('--smtp and --mail-from go together');
  if (o.mailFrom !== undefined && !isEmail(o.mailFrom)) throw new UsageError('--mail-from must be an e-mail address');
  const smtp = o.smtp !== undefined ? parseSmtpUrl('--smtp', o.smtp) : null;
  const metricsToken = o.metricsToken === '' ? undefined : o.metricsToken;
  if (metricsToken !== undefined && !METRICS_TOKEN.test(metricsToken))
    throw new UsageError('--metrics-token (or OPENDOOR_METRICS_TOKEN) must be 16 to 200 letters, digits or -._~+/');
  const { scanArgs, openLauncher } = await import('../serve/launcher.js');
  scanArgs({ targets: ['127.0.0.1'] }, policy); // the exclusions and bounds are checked now, not at the first scan
  const log = createLogger(o.verbose === true ? 'info' : o.quiet === true ? 'error' : 'warn', io.stderr);
  // with metrics, every store call of this process is timed at this one seam (metrics/storeTiming.ts)
  let metrics: MetricsAccess | null = null;
  if (metricsToken !== undefined) {
    const { ServeMetrics } = await import('../metrics/metrics.js');
    // an alert is pending while its webhook has attempts left
    const attempts = (await import('../monitor/webhook.js')).RETRY_MS.length + 1;
    metrics = { metrics: new ServeMetrics(attempts), token: metricsToken };
  }
  // pages and the API read beside the scans' writes (a scan of serve's own on SQLite, a worker's on PostgreSQL)
  const opened = await openStore(o.db, { readers: SERVE_READERS });
  const store = metrics !== null ? metrics.metrics.timed(opened) : opened;
  // from here on a signal stops it in order (the store closed, scans left resumable)
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  const accounts = await store.accounts.userCount();
  const launcher = await openLauncher(store, policy, log, parallel);
  const { Monitors } = await import('../monitor/monitors.js');
  let dashboard = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  const mail =
    smtp !== null && o.mailFrom !== undefined
      ? { mailer: new Mailer(smtp), from: o.mailFrom, dashboard: () => dashboard }
      : null;
  // monitors start their scans through the launcher, under serve's rules
  const scans = {
    start: (r: ScanRequest, id: string) => launcher.start(r, id),
    check: (r: ScanRequest) => scanArgs(r, policy),
  };
  const monitors = new Monitors(store, scans, log, mail);
  const { buildServer } = await import('../serve/server.js');
  const app = await buildServer({
    store,
    launcher,
    monitors,
    log,
    ...(tls !== undefined ? { tls } : {}),
    ...(metrics !== null ? { metrics } : {}),
  });
  const shutdown = async () => {
    await app.close();
    await monitors.stop();
    await launcher.stop();
    await store.close();
    mail?.mailer.close();
  };
  try {
    await app.listen({ host, port });
    await monitors.start();
  } catch (e) {
    await shutdown();
    io.stderr(`opendoor: cannot listen on ${o.listen}: ${(e as NodeJS.ErrnoException).code ?? 'error'}\n`);
    return 1;
  }
  const address = app.server.address();
  const shown = typeof address === 'object' && address !== null ? address.port : port;
  const where = `${tls !== undefined ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${shown}/`;
  dashboard = where;
  io.stderr(`opendoor: serving ${where} (database ${store.where}); stop with Ctrl-C\n`);
  if (accounts === 0) io.stderr(noAccount(o.db !== undefined));
  await stopped;
  io.stderr(stopping(launcher.running()));
  await shutdown();
  return 0;
}

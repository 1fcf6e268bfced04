/**
 * The HTTP probe: what web front end or imaging API is this, does it ask for credentials (and does a
 * vendor default open it), what can a stranger read, and can one object be downloaded? It reads `/`
 * once and walks the adapters (adapters.ts) in order; it knows no product itself.
 */
import {
  type Depth,
  depthAtLeast,
  type ExposureObservation,
  type HttpObservation,
  type ProbeContext,
} from '../types.js';
import type { WebAdapter, WebContext, WebFound } from './adapter.js';
import { WEB_ADAPTERS } from './adapters.js';
import { HttpClient, type HttpFailure } from './client.js';
import { recognise, said, title } from './fingerprint.js';
import type { GuessControl } from '../race.js';
import { answerPrint } from '../phi.js';

export type HttpProbeResult =
  | {
      kind: 'http';
      observation: HttpObservation;
      product: string | null;
      version: string | null;
      exposure: ExposureObservation | null;
    }
  | { kind: 'not-http'; failure: { failure: HttpFailure; code: string | null } };

/** What the HTTP probe may send at a depth: the root page and each adapter's budget (adapter.ts). */
export interface HttpRequestBudget {
  /** Requests, each within twice the timeout (headers, then body). */
  requests: number;
  /** Downloads (--depth retrieve), each within ten times the timeout. */
  downloads: number;
  /** Some adapter pages a count within --count-budget (one adapter at most counts so: see below). */
  paged: boolean;
}

export function httpRequestBudget(depth: Depth, adapters: readonly WebAdapter[] = WEB_ADAPTERS): HttpRequestBudget {
  const access = depthAtLeast(depth, 'access');
  const count = depthAtLeast(depth, 'count');
  const retrieve = depthAtLeast(depth, 'retrieve');
  const total: HttpRequestBudget = { requests: 1, downloads: 0, paged: false };
  for (const { budget: b } of adapters) {
    total.requests += b.detect + (access ? (b.access ?? 0) : 0) + (count ? (b.count ?? 0) : 0);
    total.requests += retrieve ? (b.retrieve?.requests ?? 0) : 0;
    total.downloads += retrieve ? (b.retrieve?.downloads ?? 0) : 0;
    total.paged ||= count && b.paged === true;
  }
  return total;
}

/**
 * The longest probeHttp can take at this depth, derived from the adapters' request budgets: every
 * request at twice the timeout, every download at ten times; and where an adapter pages a count,
 * the count budget and the request in flight when it ran out. One paged count at most: the adapters
 * that page exclude each other (DICOMweb steps aside where dcm4chee-arc found its root, a patient
 * list where any API counts).
 */
export function httpProbeBoundMs(opts: Pick<ProbeContext, 'timeoutMs' | 'countBudgetMs' | 'depth'>): number {
  const t = opts.timeoutMs;
  const b = httpRequestBudget(opts.depth);
  return 2 * t * b.requests + 10 * t * b.downloads + (b.paged ? opts.countBudgetMs + 2 * t : 0);
}

const readable = (f: WebFound): boolean => f.auth !== 'required';

/** Detect with every adapter in order; a locked one is tried with vendor defaults from --depth access. */
async function detectAll(ctx: WebContext & { found: WebFound[] }): Promise<void> {
  for (const adapter of WEB_ADAPTERS) {
    const f = await adapter.detect(ctx);
    if (f === null) continue;
    ctx.opts.log.debug(`${ctx.client.origin}: ${adapter.name} (${f.auth})`);
    if (f.auth === 'required' && f.access !== undefined && depthAtLeast(ctx.opts.depth, 'access')) {
      const opened = await f.access();
      if (opened !== null) {
        ctx.headers = opened;
        f.auth = 'default-credentials';
      }
    }
    ctx.found.push(f);
    ctx.product = f.product ?? ctx.product;
  }
}

/** The first readable adapter that counts something, and what it counted. */
async function countFirst(
  found: readonly WebFound[],
  ctx: WebContext,
): Promise<{ by: WebFound; exposure: ExposureObservation } | null> {
  for (const f of found) {
    if (!readable(f) || f.count === undefined) continue;
    const exposure = await f.count(ctx.headers);
    if (exposure !== null) return { by: f, exposure };
  }
  return null;
}

export async function probeHttp(
  host: string,
  port: number,
  tls: boolean,
  opts: ProbeContext,
  /** When raced against another guess of the protocol: cancelled when that one answers first. */
  race?: GuessControl,
): Promise<HttpProbeResult> {
  const client = await HttpClient.open({ host, port, tls, timeoutMs: opts.timeoutMs, signal: race?.signal });
  try {
    const root = await client.get('/', {}, 256 * 1024);
    if (!root.ok) return { kind: 'not-http', failure: root };
    race?.answered();
    const text = root.body.toString('utf8');
    const web = recognise({ status: root.status, headers: root.headers, body: text });
    const ctx = {
      client,
      root: { ...root, text },
      opts,
      product: web?.product ?? null,
      headers: {},
      found: [] as WebFound[],
    };
    await detectAll(ctx);
    const { found } = ctx;
    const counted = depthAtLeast(opts.depth, 'count') ? await countFirst(found, ctx) : null;
    const first = counted?.by ?? found.find((f) => f.api !== null) ?? null;
    const obs: HttpObservation = {
      status: root.status,
      server: said(root.headers['server']),
      auth: first?.auth ?? (root.status === 401 ? 'required' : 'none'),
      api: first?.api ?? null,
      dicomweb: found.find((f) => f.dicomweb !== undefined)?.dicomweb ?? null,
      title: title(text),
      retrieve: null,
      retrieveVia: null,
      aeTitles: [...new Set(found.flatMap((f) => f.aeTitles ?? []))],
      aeTitlesFrom: found.find((f) => (f.aeTitles ?? []).length > 0)?.aeSource ?? null,
      ...(opts.printKey !== undefined
        ? { pagePrint: answerPrint(opts.printKey, 'page', String(root.status), text) }
        : {}),
    };
    if (depthAtLeast(opts.depth, 'retrieve')) {
      // the counting adapter first, where it counted objects; then any that can fetch an object it was shown
      const objects = counted !== null && (counted.exposure.instances > 0 || counted.exposure.studies > 0);
      const fetchers = [...(objects ? [counted.by] : []), ...found.filter((f) => f.count === undefined)];
      for (const f of fetchers.filter((x) => readable(x) && x.retrieve !== undefined)) {
        obs.retrieveVia = (await f.retrieve?.(ctx.headers)) ?? null;
        obs.retrieve = obs.retrieveVia !== null;
        if (obs.retrieve) break;
      }
    }
    const version = found.find((f) => f.version !== undefined)?.version ?? null;
    return { kind: 'http', observation: obs, product: ctx.product, version, exposure: counted?.exposure ?? null };
  } finally {
    await client.close();
  }
}

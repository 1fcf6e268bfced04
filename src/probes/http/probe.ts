/**
 * The HTTP probe: what web front end or imaging API is this, does it ask for credentials (and does a
 * vendor default open it), what can a stranger read, and can one object be downloaded? It reads `/`
 * once and walks the adapters (adapters.ts) in order; it knows no product itself.
 */
import { depthAtLeast, type ExposureObservation, type HttpObservation, type ProbeOptions } from '../types.js';
import type { WebContext, WebFound } from './adapter.js';
import { WEB_ADAPTERS } from './adapters.js';
import { HttpClient, type HttpFailure } from './client.js';
import { DEFAULT_CREDENTIALS, DICOMWEB_ROOTS, recognise, said, title } from './fingerprint.js';
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

/**
 * The longest probeHttp can take at this depth: every request it may send (root, /system, each
 * DICOMweb root; vendor defaults from access; the Orthanc counts from count) at its bound of twice
 * the timeout; from count, the count budget plus the request in flight when it ran out; at
 * retrieve, one more listing and a download at ten times the timeout.
 */
export function httpProbeBoundMs(opts: Pick<ProbeOptions, 'timeoutMs' | 'countBudgetMs' | 'depth'>): number {
  const t = opts.timeoutMs;
  const access = depthAtLeast(opts.depth, 'access') ? 2 * DEFAULT_CREDENTIALS.length + 1 : 0;
  // the root, /system, dcm4chee-arc's AE list, each DICOMweb root; from count, Orthanc's counts or a QIDO-RS
  // question to each listed dcm4chee-arc AE
  const requests = 3 + DICOMWEB_ROOTS.length + access + (depthAtLeast(opts.depth, 'count') ? 8 : 0);
  const counting = depthAtLeast(opts.depth, 'count') ? opts.countBudgetMs + 2 * t : 0;
  const retrieving = depthAtLeast(opts.depth, 'retrieve') ? 12 * t : 0;
  return 2 * t * requests + counting + retrieving;
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
  opts: ProbeOptions,
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

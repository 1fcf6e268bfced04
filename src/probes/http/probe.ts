/**
 * The HTTP probe, first layer: does this port speak HTTP, what server is it, does it ask for
 * credentials, and is it an Orthanc REST API? Never follows a redirect, never reads past a cap.
 */
import type { Agent } from 'undici';

/** undici is loaded on first use: a scan that meets no web port never pays for it. */
type Undici = Awaited<ReturnType<typeof importUndici>>;
const importUndici = () => import('undici');
let undici: Promise<Undici> | null = null;
const loadUndici = (): Promise<Undici> => (undici ??= importUndici());
import type { HttpObservation } from '../types.js';

export const MAX_HTTP_BODY = 256 * 1024;

export interface HttpProbeOptions {
  timeoutMs: number;
  tls: boolean;
}

export type HttpGet =
  | { ok: true; status: number; headers: Record<string, string>; body: string }
  | { ok: false; failure: 'timeout' | 'refused' | 'reset' | 'not-http' | 'too-large'; code: string | null };

function header(h: Record<string, string | string[] | undefined>, name: string): string | null {
  const v = h[name];
  return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
}

export async function makeAgent(opts: HttpProbeOptions): Promise<Agent> {
  const { Agent } = await loadUndici();
  return new Agent({
    connect: { rejectUnauthorized: false, timeout: opts.timeoutMs },
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    maxResponseSize: MAX_HTTP_BODY,
    maxHeaderSize: 64 * 1024,
    connections: 1,
    pipelining: 0,
  });
}

/** One GET, body capped and decoded as text; the body is for recognition, never stored. */
export async function httpGet(agent: Agent, origin: string, path: string, timeoutMs: number, headers: Record<string, string> = {}): Promise<HttpGet> {
  const signal = AbortSignal.timeout(timeoutMs * 2);
  const { request } = await loadUndici();
  try {
    const res = await request(new URL(path, origin), { method: 'GET', dispatcher: agent, signal, headers: { 'user-agent': 'opendoor', ...headers } });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > MAX_HTTP_BODY) {
        res.body.destroy();
        return { ok: false, failure: 'too-large', code: null };
      }
      chunks.push(chunk as Buffer);
    }
    const flat: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) {
      const s = header(res.headers, k);
      if (s !== null && v !== undefined) flat[k.toLowerCase()] = s;
    }
    return { ok: true, status: res.statusCode, headers: flat, body: Buffer.concat(chunks).toString('utf8') };
  } catch (e) {
    const code = (e as { code?: string }).code ?? null;
    const failure =
      code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || (e as Error).name === 'TimeoutError'
        ? 'timeout'
        : code === 'ECONNREFUSED'
          ? 'refused'
          : code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE'
            ? 'too-large'
            : code === 'ECONNRESET' || code === 'UND_ERR_SOCKET'
              ? 'reset'
              : 'not-http';
    return { ok: false, failure, code };
  }
}

export type HttpProbeResult = { kind: 'http'; observation: HttpObservation; product: string | null; version: string | null } | { kind: 'not-http'; failure: Extract<HttpGet, { ok: false }> };

/** Recognise the service behind an HTTP port from `/` (and Orthanc's `/system` when it looks like Orthanc). */
export async function probeHttp(host: string, port: number, opts: HttpProbeOptions): Promise<HttpProbeResult> {
  const agent = await makeAgent(opts);
  const origin = `${opts.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  try {
    const root = await httpGet(agent, origin, '/', opts.timeoutMs);
    if (!root.ok) return { kind: 'not-http', failure: root };
    const server = root.headers['server'] ?? null;
    const realm = root.headers['www-authenticate'] ?? '';
    let api: string | null = null;
    let product: string | null = null;
    let version: string | null = null;
    let auth: HttpObservation['auth'] = root.status === 401 ? 'required' : 'none';
    const looksOrthanc = /orthanc/i.test(`${server ?? ''} ${realm} ${root.headers['location'] ?? ''} ${root.body.slice(0, 4096)}`);
    // Orthanc's REST root redirects to its explorer; /system names it and its version
    const system = await httpGet(agent, origin, '/system', opts.timeoutMs);
    const systemRealm = system.ok ? (system.headers['www-authenticate'] ?? '') : '';
    const isOrthancSystem = system.ok && system.status === 200 && /"ApiVersion"\s*:/.test(system.body) && /"DicomAet"\s*:/.test(system.body);
    if (isOrthancSystem || looksOrthanc || /orthanc/i.test(systemRealm)) {
      product = 'Orthanc';
      api = 'orthanc';
      if (isOrthancSystem) {
        auth = 'none';
        version = /"Version"\s*:\s*"([^"]{1,40})"/.exec(system.body)?.[1] ?? null;
      } else if (system.ok && system.status === 401) {
        auth = 'required';
      }
    }
    return { kind: 'http', observation: { status: root.status, server, auth, api }, product, version };
  } finally {
    await agent.destroy().catch(() => undefined);
  }
}

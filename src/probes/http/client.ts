/**
 * One HTTP client for every web probe: undici with timeouts on connect, headers and body, a cap on
 * header and body size, never following a redirect (a Location is only read, so a probe can never
 * be led off its target), certificates not verified (an auditor must see self-signed ones).
 */
import type { Agent } from 'undici';
import { currentScope } from '../../net/hostScope.js';

export const MAX_HTTP_BODY = 4 * 1024 * 1024;

/** undici is loaded on first use: a scan that meets no web port never pays for it. */
const importUndici = () => import('undici');
type Undici = Awaited<ReturnType<typeof importUndici>>;
let undici: Promise<Undici> | null = null;
const loadUndici = (): Promise<Undici> => (undici ??= importUndici());
/** Loads the HTTP client's code ahead of its first request (a protocol guess about to start). */
export const warmHttpClient = (): void => void loadUndici();

export type HttpFailure = 'timeout' | 'refused' | 'reset' | 'not-http' | 'too-large';

export type HttpResponse =
  | { ok: true; status: number; headers: Record<string, string>; body: Buffer }
  | { ok: false; failure: HttpFailure; code: string | null };

export interface HttpTarget {
  host: string;
  port: number;
  tls: boolean;
  timeoutMs: number;
  /** Destroys the client's connections when it fires (a guess that lost its race). */
  signal?: AbortSignal | undefined;
}

export class HttpClient {
  private constructor(
    private readonly agent: Agent,
    readonly origin: string,
    private readonly timeoutMs: number,
    private readonly request: Undici['request'],
    private readonly release: () => void,
    private readonly connects: Set<() => void>,
    private readonly destroy: () => void,
  ) {}

  static async open(t: HttpTarget): Promise<HttpClient> {
    const { Agent, buildConnector, request } = await loadUndici();
    // told when a connection is made, so that the wait for headers is timed from then (see get)
    const connects = new Set<() => void>();
    // every socket handed to undici, destroyed by us too: undici 6 leaves a socket open when its
    // agent is destroyed in the microtask right after the connection was made (a guess that lost
    // its race then kept the process alive)
    const sockets = new Set<{ destroy(): void }>();
    const base = buildConnector({ rejectUnauthorized: false, timeout: t.timeoutMs });
    const agent = new Agent({
      connect: (o, cb) =>
        base(o, (err, socket) => {
          if (err !== null) return cb(err, null);
          sockets.add(socket);
          socket.once('close', () => sockets.delete(socket));
          for (const f of connects) f();
          cb(null, socket);
        }),
      headersTimeout: t.timeoutMs,
      bodyTimeout: t.timeoutMs,
      maxResponseSize: MAX_HTTP_BODY,
      maxHeaderSize: 64 * 1024,
      connections: 1,
      pipelining: 1,
    });
    const destroy = () => {
      void agent.destroy().catch(() => undefined);
      for (const s of sockets) s.destroy();
    };
    // normalised by URL (a default port disappears), so the off-target check compares like with like
    // a host watchdog that fires destroys the agent and with it every socket it holds
    const release = currentScope()?.own(destroy) ?? (() => undefined);
    if (t.signal?.aborted === true) destroy();
    else t.signal?.addEventListener('abort', destroy, { once: true });
    const origin = new URL(`${t.tls ? 'https' : 'http'}://${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`)
      .origin;
    return new HttpClient(agent, origin, t.timeoutMs, request, release, connects, destroy);
  }

  /**
   * A precise bound on the wait for a response's headers: the timeout from the request (again from
   * the connection, when one is made for it). undici's own headersTimeout ticks every half second
   * (up to 500 ms late), which would make a silent port cost more than its timeout.
   */
  private headersClock(): { signal: AbortSignal; stop: () => void } {
    const ctl = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => ctl.abort(new DOMException('no response headers', 'TimeoutError')), this.timeoutMs);
    };
    arm();
    this.connects.add(arm);
    return {
      signal: ctl.signal,
      stop: () => {
        clearTimeout(timer);
        this.connects.delete(arm);
      },
    };
  }

  /**
   * GET one path of this origin. The body is read up to `maxBody` bytes (default MAX_HTTP_BODY) and
   * the whole exchange is bounded by twice the timeout, so a drip-feeding server cannot hold it.
   */
  async get(path: string, headers: Record<string, string> = {}, maxBody = MAX_HTTP_BODY): Promise<HttpResponse> {
    const url = new URL(path, this.origin);
    if (url.origin !== this.origin) return { ok: false, failure: 'not-http', code: 'OFF_TARGET' };
    const clock = this.headersClock();
    const signal = AbortSignal.any([AbortSignal.timeout(this.timeoutMs * 2), clock.signal]);
    try {
      const res = await this.request(url, {
        method: 'GET',
        dispatcher: this.agent,
        signal,
        headers: { 'user-agent': 'opendoor', accept: '*/*', ...headers },
      });
      clock.stop();
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > maxBody) {
          res.body.destroy();
          return { ok: false, failure: 'too-large', code: null };
        }
        chunks.push(chunk as Buffer);
      }
      const flat: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) {
        if (v !== undefined) flat[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
      }
      return { ok: true, status: res.statusCode, headers: flat, body: Buffer.concat(chunks) };
    } catch (e) {
      return { ok: false, ...classify(e) };
    } finally {
      clock.stop();
    }
  }

  /** GET that counts the body's bytes and keeps none of them (retrieval proof). */
  async drain(
    path: string,
    headers: Record<string, string> = {},
    maxBytes = 512 * 1024 * 1024,
  ): Promise<{ status: number; bytes: number } | { failure: HttpFailure }> {
    const signal = AbortSignal.timeout(this.timeoutMs * 10);
    try {
      const res = await this.request(new URL(path, this.origin), {
        method: 'GET',
        dispatcher: this.agent,
        signal,
        headers: { 'user-agent': 'opendoor', ...headers },
      });
      let bytes = 0;
      for await (const chunk of res.body) {
        bytes += (chunk as Buffer).length;
        if (bytes > maxBytes) {
          res.body.destroy();
          break;
        }
      }
      return { status: res.statusCode, bytes };
    } catch (e) {
      return { failure: classify(e).failure };
    }
  }

  async close(): Promise<void> {
    this.release();
    await this.agent.destroy().catch(() => undefined);
    this.destroy();
  }
}

function classify(e: unknown): { failure: HttpFailure; code: string | null } {
  const code = (e as { code?: string }).code ?? null;
  const name = (e as { name?: string }).name;
  if (
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    name === 'TimeoutError' ||
    name === 'AbortError'
  ) {
    return { failure: 'timeout', code };
  }
  if (code === 'ECONNREFUSED') return { failure: 'refused', code };
  if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE' || code === 'UND_ERR_HEADERS_OVERFLOW')
    return { failure: 'too-large', code };
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return { failure: 'reset', code };
  return { failure: 'not-http', code };
}

export function basicAuth(user: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

/** A JSON object (not an array, not null). */
export const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function json(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

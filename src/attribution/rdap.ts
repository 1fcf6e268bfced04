/**
 * RDAP lookups of an address's network (RFC 7480–7484, 9082, 9083): `ip/{address}` at the registry
 * IANA's bootstrap names for it (RFC 9224; shipped as rdap-bootstrap.json) or at one base URL the
 * user gives (--rdap-url). undici, loaded on the first lookup; each query under a timeout, a body cap
 * and the run's rate; certificates verified; redirects (one registry pointing to another) followed
 * a few times. Every failure is a reason, never an exception.
 */
import { readFileSync } from 'node:fs';
import type { Agent } from 'undici';
import { type Address, type Family, formatAddress } from '../targets/address.js';
import { parseTarget } from '../targets/spec.js';
import { type RdapNetwork, parseRdapNetwork } from './rdapAnswer.js';

const MAX_BODY = 1024 * 1024;
const MAX_REDIRECTS = 3;
/** The reason of a lookup whose answer came meanwhile (lookup's `still`). */
export const SKIPPED = 'answered meanwhile';

export type RdapResult = { ok: true; network: RdapNetwork } | { ok: false; reason: string };

interface BootstrapFile {
  services: Array<[string[], string[]]>;
}

interface Block {
  family: Family;
  first: bigint;
  last: bigint;
  base: string;
}

let blocks: Block[] | null = null;

/** IANA's bootstrap as shipped: address blocks → the registry's base URL. */
function bootstrap(): Block[] {
  if (blocks !== null) return blocks;
  const file = JSON.parse(readFileSync(new URL('./rdap-bootstrap.json', import.meta.url), 'utf8')) as Record<
    string,
    BootstrapFile
  >;
  const out: Block[] = [];
  for (const kind of ['ipv4', 'ipv6'])
    for (const [entries, urls] of file[kind]?.services ?? []) {
      const base = urls.find((u) => u.startsWith('https://'));
      if (base === undefined) continue;
      for (const e of entries) {
        const spec = parseTarget(e);
        if (spec.kind !== 'host') out.push({ family: spec.family, first: spec.first, last: spec.last, base });
      }
    }
  blocks = out;
  return out;
}

/** The registry's RDAP base URL for an address (the most specific bootstrap entry), or null. */
export function registryFor(a: Address): string | null {
  let best: Block | null = null;
  for (const b of bootstrap())
    if (b.family === a.family && a.value >= b.first && a.value <= b.last)
      if (best === null || b.last - b.first < best.last - best.first) best = b;
  return best?.base ?? null;
}

export interface RdapOptions {
  /** Every query to this base instead of the bootstrap's registry. */
  baseUrl: string | null;
  /** Queries per second at most. */
  rate: number;
  timeoutMs: number;
}

const importUndici = () => import('undici');

/** One client for a run: its agent, its pace. */
export class RdapClient {
  private agent: Promise<{ agent: Agent; request: Awaited<ReturnType<typeof importUndici>>['request'] }> | null = null;
  private next = 0;
  /** Queries sent (a test counts them). */
  queries = 0;

  constructor(private readonly o: RdapOptions) {}

  private async client() {
    this.agent ??= importUndici().then(({ Agent, request }) => ({
      agent: new Agent({
        connect: { timeout: this.o.timeoutMs },
        headersTimeout: this.o.timeoutMs,
        bodyTimeout: this.o.timeoutMs,
        maxResponseSize: MAX_BODY,
      }),
      request,
    }));
    return this.agent;
  }

  /** Wait for the rate's next slot (slots are taken in call order). */
  private async pace(): Promise<void> {
    const now = Date.now();
    const at = Math.max(now, this.next);
    this.next = at + 1000 / this.o.rate;
    if (at > now) await new Promise((r) => setTimeout(r, at - now));
  }

  /**
   * The network of an address. `still` is asked once the rate gives this query its turn: false
   * (another answer of the run covers the address by now) sends nothing.
   */
  async lookup(a: Address, still: () => boolean = () => true): Promise<RdapResult> {
    const base = this.o.baseUrl ?? registryFor(a);
    if (base === null) return { ok: false, reason: 'no RDAP registry for the address in the IANA bootstrap' };
    let url: URL;
    try {
      url = new URL(`ip/${formatAddress(a)}`, base.endsWith('/') ? base : `${base}/`);
    } catch {
      return { ok: false, reason: `bad RDAP base URL ${base}` };
    }
    const { agent, request } = await this.client();
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      await this.pace();
      if (hop === 0 && !still()) return { ok: false, reason: SKIPPED };
      this.queries++;
      try {
        const res = await request(url, {
          method: 'GET',
          dispatcher: agent,
          signal: AbortSignal.timeout(this.o.timeoutMs * 2),
          headers: { accept: 'application/rdap+json, application/json', 'user-agent': 'opendoor' },
        });
        const location = res.headers['location'];
        if (res.statusCode >= 300 && res.statusCode < 400 && typeof location === 'string') {
          await res.body.dump();
          const to = new URL(location, url);
          if (to.protocol !== 'https:' && to.protocol !== url.protocol)
            return { ok: false, reason: `redirect to ${to.protocol} refused` };
          url = to;
          continue;
        }
        const body = await res.body.text();
        if (res.statusCode === 429) return { ok: false, reason: 'registry rate limit (HTTP 429)' };
        if (res.statusCode !== 200) return { ok: false, reason: `HTTP ${res.statusCode} from ${url.host}` };
        return parseRdapNetwork(body);
      } catch (e) {
        const code = (e as { code?: string }).code ?? (e as { name?: string }).name ?? 'error';
        return { ok: false, reason: `${url.host}: ${code}` };
      }
    }
    return { ok: false, reason: `more than ${MAX_REDIRECTS} redirects` };
  }

  async close(): Promise<void> {
    if (this.agent !== null) await (await this.agent).agent.close().catch(() => undefined);
  }
}

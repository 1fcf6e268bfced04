/**
 * Every service's network and whom to tell: the AS from the user's ranges (--asn-data) or the
 * built-in offline data (loaded only when a public address needs it), the country offline, the
 * abuse contact from the user's contacts file (always first) or RDAP (--rdap: the store's cache,
 * then at most one query per network per run). A lookup that fails leaves the contact unknown and
 * says why at -v; it never stops the run.
 */
import type { NetworkRecord, ServiceRecord } from '../output/records.js';
import { countryOf } from '../targets/country.js';
import { type Address, parseAddress } from '../targets/address.js';
import { isPublicAddress } from '../targets/special.js';
import type { RdapCacheStore } from '../store/store.js';
import type { Logger } from '../util/log.js';
import { type AsnHit, type AsnTable, builtInLoaded, builtInTable, parseAsnCsv } from './asnData.js';
import { type Contact, contactFor, parseContacts } from './contacts.js';
import { RdapClient, SKIPPED } from './rdap.js';

/** What a scan stores of its attribution options (PlanArgs.attribution): the files' text, not their names only. */
export interface AttributionArgs {
  asnData?: { file: string; text: string };
  contacts?: { file: string; text: string };
  rdap?: { url: string | null; ttlS: number; rate: number };
}

export const RDAP_DEFAULTS = { ttlS: 7 * 24 * 3600, rate: 2 } as const;

export interface AttributorDeps {
  log: Logger;
  /** Where RDAP answers are kept across runs (the store), or null. */
  cache: RdapCacheStore | null;
  /** Each RDAP query's timeout. */
  timeoutMs: number;
}

const EMPTY: NetworkRecord = { asn: null, asName: null, prefix: null, cc: null, abuse: [], abuseSource: null };

interface Known {
  family: 4 | 6;
  first: bigint;
  last: bigint;
  abuse: string[];
}

export class Attributor {
  private readonly user: AsnTable | null;
  private readonly contacts: Contact[];
  private readonly rdap: RdapClient | null;
  private readonly ttlMs: number;
  /** Networks RDAP told this run, and the lookups under way keyed by the AS prefix (or the address). */
  private readonly seen: Known[] = [];
  private readonly pending = new Map<string, Promise<Known | null>>();

  /** Throws the files' input errors (AsnDataError, ContactsFileError) naming file and line. */
  constructor(
    args: AttributionArgs | undefined,
    private readonly deps: AttributorDeps,
  ) {
    this.user = args?.asnData !== undefined ? parseAsnCsv(args.asnData.file, args.asnData.text) : null;
    this.contacts = args?.contacts !== undefined ? parseContacts(args.contacts.file, args.contacts.text) : [];
    const r = args?.rdap;
    this.rdap = r !== undefined ? new RdapClient({ baseUrl: r.url, rate: r.rate, timeoutMs: deps.timeoutMs }) : null;
    this.ttlMs = (r?.ttlS ?? RDAP_DEFAULTS.ttlS) * 1000;
  }

  /** RDAP queries sent so far. */
  get rdapQueries(): number {
    return this.rdap?.queries ?? 0;
  }

  private async asOf(a: Address): Promise<AsnHit | null> {
    const mine = this.user?.lookup(a) ?? null;
    if (mine !== null || !isPublicAddress(a)) return mine;
    const first = !builtInLoaded().includes(a.family);
    const started = performance.now();
    const table = await builtInTable(a.family);
    if (first)
      this.deps.log.info(
        table === null
          ? `built-in ASN data for IPv${a.family} missing (@ip-location-db/asn not installed)`
          : `built-in ASN data for IPv${a.family}: ${table.size} ranges loaded in ${Math.round(performance.now() - started)} ms`,
      );
    return table?.lookup(a.value) ?? null;
  }

  /** One address's network record. */
  async network(host: string): Promise<NetworkRecord> {
    const a = parseAddress(host);
    if (a === null) return EMPTY;
    const as = await this.asOf(a);
    const country = countryOf(host);
    const base = {
      asn: as?.asn ?? null,
      asName: as?.asName ?? null,
      prefix: as?.prefix ?? null,
      cc: /^[A-Z]{2}$/.test(country) ? country : null,
    };
    const contact = contactFor(this.contacts, host, base.asn);
    if (contact !== null) return { ...base, abuse: contact.emails, abuseSource: 'contacts' };
    if (this.rdap === null) return { ...base, abuse: [], abuseSource: null };
    const known = await this.lookup(a, host, as?.prefix ?? null);
    return known !== null && known.abuse.length > 0
      ? { ...base, abuse: known.abuse, abuseSource: 'rdap' }
      : { ...base, abuse: [], abuseSource: null };
  }

  /** Records with their network: one lookup per host (the engine hands one host's records at a time). */
  async attribute(records: readonly ServiceRecord[]): Promise<ServiceRecord[]> {
    const hosts = [...new Set(records.map((r) => r.host))];
    const nets = new Map(await Promise.all(hosts.map(async (h) => [h, await this.network(h)] as const)));
    return records.map((r) => ({ ...r, network: nets.get(r.host) ?? EMPTY }));
  }

  private covering(a: Address): Known | null {
    return this.seen.find((k) => k.family === a.family && a.value >= k.first && a.value <= k.last) ?? null;
  }

  private async lookup(a: Address, host: string, prefix: string | null): Promise<Known | null> {
    const here = this.covering(a);
    if (here !== null) return here;
    const key = prefix ?? host;
    const under = this.pending.get(key);
    if (under !== undefined) return under;
    const p = this.ask(a, host).finally(() => this.pending.delete(key));
    this.pending.set(key, p);
    return p;
  }

  private async ask(a: Address, host: string): Promise<Known | null> {
    const log = this.deps.log;
    const cache = this.deps.cache;
    const kept = await cache?.find(a.family, a.value, Date.now() - this.ttlMs).catch(() => null);
    if (kept !== null && kept !== undefined) {
      this.seen.push(kept);
      return kept;
    }
    // another lookup of this run may have told this network meanwhile
    const told = this.covering(a);
    if (told !== null) return told;
    const r = await (this.rdap as RdapClient).lookup(a, () => this.covering(a) === null);
    if (!r.ok && r.reason === SKIPPED) return this.covering(a);
    if (!r.ok) {
      log.info(`${host}: abuse contact unknown: RDAP ${r.reason}`);
      return null;
    }
    const n = r.network;
    if (n.family !== a.family || a.value < n.first || a.value > n.last) {
      log.info(`${host}: abuse contact unknown: the RDAP answer's range does not cover the address`);
      return null;
    }
    if (n.why !== null) log.info(`${host}: abuse contact unknown: ${n.why} (RDAP ${n.handle ?? 'network'})`);
    const known: Known = { family: n.family, first: n.first, last: n.last, abuse: n.abuse };
    this.seen.push(known);
    await cache?.put({ ...known, fetched: Date.now() }).catch((e: unknown) => {
      log.warn(`RDAP answer not kept: ${e instanceof Error ? e.message : 'store error'}`);
    });
    return known;
  }

  async close(): Promise<void> {
    await this.rdap?.close();
  }
}

/**
 * An RDAP IP network answer (RFC 9083 §5.4) read for what attribution needs: the network's range
 * (startAddress/endAddress, or the cidr0 extension's prefixes) and the abuse contact: the e-mail of
 * the entity with role `abuse`, found at any depth (registries nest it under the registrant or the
 * network's organisation), the shallowest first. Placeholders and redacted values (RFC 9537) are
 * rejected, never used. Pure: JSON in, values out.
 */
import { type Family, parseAddress } from '../targets/address.js';
import { parseTarget } from '../targets/spec.js';
import { isEmail } from './contacts.js';

export interface RdapNetwork {
  family: Family;
  first: bigint;
  last: bigint;
  /** The answer's handle or range, for messages. */
  handle: string | null;
  abuse: string[];
  /** Why no abuse address was taken, when none was (none listed, placeholders, redacted). */
  why: string | null;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const isObj = (v: Json | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: Json | undefined): string | null => (typeof v === 'string' ? v : null);

/**
 * Addresses registries return instead of a real one: RFC 2606 example domains, RIPE's dummy
 * "unread@ripe.net", and anything that says it was withheld.
 */
const PLACEHOLDER =
  /(^|[.@])(example\.(com|net|org)|invalid|localhost)$|^unread@ripe\.net$|redacted|withheld|not[ ._-]?disclosed|privacy|^no[-_.]?(reply|email)@|^(nobody|none|null|test)@/i;

export const isPlaceholder = (email: string): boolean => PLACEHOLDER.test(email) || !isEmail(email);

/** The e-mail values of a jCard (RFC 7095: ["vcard", [[name, params, type, value…], …]]). */
function vcardEmails(card: Json | undefined): string[] {
  if (!Array.isArray(card) || card[0] !== 'vcard' || !Array.isArray(card[1])) return [];
  const out: string[] = [];
  for (const prop of card[1]) {
    if (!Array.isArray(prop) || str(prop[0])?.toLowerCase() !== 'email') continue;
    for (const v of prop.slice(3)) if (typeof v === 'string') out.push(v.trim());
  }
  return out;
}

/** Does the answer say (RFC 9537) it redacted or replaced an e-mail or an abuse contact? */
function redactsAbuse(answer: Obj): boolean {
  const list = answer['redacted'];
  if (!Array.isArray(list)) return false;
  return list.some((r) => {
    if (!isObj(r)) return false;
    const name = isObj(r['name']) ? `${str(r['name']['description']) ?? ''} ${str(r['name']['type']) ?? ''}` : '';
    const paths = `${str(r['prePath']) ?? ''} ${str(r['postPath']) ?? ''} ${str(r['replacementPath']) ?? ''}`;
    const said = `${name} ${paths}`;
    // an abuse contact's e-mail, or an e-mail of no other role (a registrant's redacted address says nothing of abuse)
    return /abuse/i.test(said) || (/e-?mail/i.test(said) && !/registrant|tech|admin|billing|registrar|noc/i.test(said));
  });
}

/** Abuse e-mails by depth (entities nested in entities), each list in the answer's order. */
function abuseByDepth(answer: Obj): string[][] {
  const levels: string[][] = [];
  let layer: Json[] = Array.isArray(answer['entities']) ? answer['entities'] : [];
  for (let depth = 0; depth < 8 && layer.length > 0; depth++) {
    const here: string[] = [];
    const next: Json[] = [];
    for (const e of layer) {
      if (!isObj(e)) continue;
      const roles = Array.isArray(e['roles']) ? e['roles'].map((r) => str(r)?.toLowerCase()) : [];
      if (roles.includes('abuse')) here.push(...vcardEmails(e['vcardArray']));
      if (Array.isArray(e['entities'])) next.push(...e['entities']);
    }
    levels.push(here);
    layer = next;
  }
  return levels;
}

function range(answer: Obj): { family: Family; first: bigint; last: bigint } | null {
  const start = parseAddress(str(answer['startAddress']) ?? '');
  const end = parseAddress(str(answer['endAddress']) ?? '');
  if (start !== null && end !== null && start.family === end.family && start.value <= end.value)
    return { family: start.family, first: start.value, last: end.value };
  // the cidr0 extension: [{v4prefix|v6prefix, length}]
  const cidrs = answer['cidr0_cidrs'];
  if (!Array.isArray(cidrs)) return null;
  let out: { family: Family; first: bigint; last: bigint } | null = null;
  for (const c of cidrs) {
    if (!isObj(c)) continue;
    const prefix = str(c['v4prefix']) ?? str(c['v6prefix']);
    const length = c['length'];
    if (prefix === null || typeof length !== 'number') continue;
    try {
      const spec = parseTarget(`${prefix}/${length}`);
      if (spec.kind === 'host') continue;
      if (out === null) out = { family: spec.family, first: spec.first, last: spec.last };
      else if (spec.family === out.family) {
        // the cidr0 prefixes of one network are adjacent: their hull is its range
        if (spec.first < out.first) out.first = spec.first;
        if (spec.last > out.last) out.last = spec.last;
      }
    } catch {}
  }
  return out;
}

export type RdapParse = { ok: true; network: RdapNetwork } | { ok: false; reason: string };

/** An `ip/{address}` answer's body → the network and its abuse contact, or why it cannot be read. */
export function parseRdapNetwork(body: string): RdapParse {
  let answer: Json;
  try {
    answer = JSON.parse(body) as Json;
  } catch {
    return { ok: false, reason: 'answer is not JSON' };
  }
  if (!isObj(answer)) return { ok: false, reason: 'answer is not a JSON object' };
  if (str(answer['objectClassName']) !== 'ip network') return { ok: false, reason: 'answer is not an ip network' };
  const r = range(answer);
  if (r === null) return { ok: false, reason: 'answer gives no address range' };
  const redacted = redactsAbuse(answer);
  let why: string | null = 'no entity with role abuse';
  let abuse: string[] = [];
  for (const level of abuseByDepth(answer)) {
    if (level.length === 0) continue;
    const good = [...new Set(level.map((e) => e.toLowerCase()))].filter((e) => !isPlaceholder(e));
    if (good.length > 0 && !redacted) {
      abuse = good;
      why = null;
      break;
    }
    why = redacted ? 'abuse address redacted (RFC 9537)' : 'abuse address is a placeholder';
  }
  return { ok: true, network: { ...r, handle: str(answer['handle']), abuse, why } };
}

/**
 * A scope as users write it in contacts files and the opt-out list: an address, a CIDR, a range or
 * an autonomous system (`AS64500`). Names are not scopes: who owns a door is a matter of addresses.
 */
import { parseAddress } from './address.js';
import { TargetSyntaxError, parseTarget } from './spec.js';
import type { Interval } from './space.js';

export type Scope = { kind: 'asn'; asn: number; text: string } | ({ kind: 'block'; text: string } & Interval);

const ASN = /^AS(\d{1,10})$/i;

/** Parse one scope; throws TargetSyntaxError (an input error) with the reason. */
export function parseScope(raw: string): Scope {
  const text = raw.trim();
  const as = ASN.exec(text);
  if (as !== null) {
    const asn = Number(as[1]);
    if (asn > 0xffffffff) throw new TargetSyntaxError(`"${text}": AS number must be 0..4294967295`);
    return { kind: 'asn', asn, text: `AS${asn}` };
  }
  const spec = parseTarget(text);
  if (spec.kind === 'host') throw new TargetSyntaxError(`"${text}": a scope is an address, CIDR, range or AS number`);
  return { kind: 'block', family: spec.family, first: spec.first, last: spec.last, text: spec.text };
}

/** How many addresses a block scope covers (the smaller, the more specific); an AS is the least specific. */
export function scopeSize(s: Scope): bigint {
  return s.kind === 'block' ? s.last - s.first + 1n : 1n << 128n;
}

/** Does this block scope cover the address? (AS scopes need the address's AS: see scopeMatches.) */
export function scopeCovers(s: Scope, host: string, asn: number | null): boolean {
  if (s.kind === 'asn') return asn !== null && asn === s.asn;
  const a = parseAddress(host);
  return a !== null && a.family === s.family && a.value >= s.first && a.value <= s.last;
}

/** The most specific of the scopes that cover the address (blocks by size; an AS last), or null. */
export function mostSpecific<T extends { scope: Scope }>(
  entries: readonly T[],
  host: string,
  asn: number | null,
): T | null {
  let best: T | null = null;
  for (const e of entries) {
    if (!scopeCovers(e.scope, host, asn)) continue;
    if (best === null || scopeSize(e.scope) < scopeSize(best.scope)) best = e;
  }
  return best;
}

/**
 * Addresses as numbers: strict IPv4 (four decimal parts, no `127.1`, no hex), IPv6 via node:net,
 * `::ffff:a.b.c.d` unwrapped so scope and exclusion checks see the IPv4 address.
 */
import net from 'node:net';

export type Family = 4 | 6;

export interface Address {
  family: Family;
  value: bigint;
}

/**
 * A strict IPv4 address (four decimal parts 0-255, no leading zeros) as a plain number, or null:
 * one pass over the characters, no regex, no bigint (the opt-out list asks it of every work item).
 */
export function ipv4Number(text: string): number | null {
  const n = text.length;
  if (n < 7 || n > 15) return null;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return null;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return null; // a leading zero
      part = part * 10 + (c - 48);
      digits++;
      if (part > 255) return null;
    } else return null;
  }
  return digits === 0 || dots !== 3 ? null : value * 256 + part;
}

export function parseIPv4(text: string): bigint | null {
  const n = ipv4Number(text);
  return n === null ? null : BigInt(n);
}

export function parseIPv6(text: string): bigint | null {
  if (!net.isIPv6(text)) return null;
  let t = text.toLowerCase();
  const dotted = t.lastIndexOf(':');
  if (t.includes('.')) {
    const n = parseIPv4(t.slice(dotted + 1));
    if (n === null) return null;
    t = `${t.slice(0, dotted + 1)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const halves = t.split('::');
  if (halves.length > 2) return null;
  const words = (part: string | undefined) =>
    part === undefined || part === '' ? [] : part.split(':').map((h) => parseInt(h, 16));
  const left = words(halves[0]);
  const right = words(halves[1]);
  const fill = 8 - left.length - right.length;
  if ((halves.length === 1 && fill !== 0) || fill < 0) return null;
  const all = [...left, ...new Array<number>(fill).fill(0), ...right];
  if (all.some((w) => Number.isNaN(w) || w < 0 || w > 0xffff)) return null;
  return all.reduce((acc, w) => (acc << 16n) | BigInt(w), 0n);
}

export function parseAddress(text: string): Address | null {
  const v4 = parseIPv4(text);
  if (v4 !== null) return { family: 4, value: v4 };
  const v6 = parseIPv6(text.replace(/^\[|\]$/g, ''));
  if (v6 === null) return null;
  // ::ffff:a.b.c.d is an IPv4 address for every purpose that matters here
  if (v6 >> 32n === 0xffffn) return { family: 4, value: v6 & 0xffffffffn };
  return { family: 6, value: v6 };
}

export function formatAddress(a: Address): string {
  if (a.family === 4) {
    return [24n, 16n, 8n, 0n].map((s) => ((a.value >> s) & 0xffn).toString()).join('.');
  }
  const words = [];
  for (let i = 7; i >= 0; i--) words.push(Number((a.value >> BigInt(i * 16)) & 0xffffn).toString(16));
  // compress the longest run of zero words (RFC 5952)
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return words.join(':');
  return `${words.slice(0, best).join(':')}::${words.slice(best + bestLen).join(':')}`;
}

export function bits(family: Family): number {
  return family === 4 ? 32 : 128;
}

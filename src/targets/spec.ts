/**
 * Target specifications as the user wrote them: address, CIDR, range or hostname. Parsing is
 * strict (a scan's scope must be exactly what the user wrote); expansion is lazy.
 */
import { bits, formatAddress, parseAddress, type Address, type Family } from './address.js';
import { InputError } from '../util/errors.js';

export type TargetSpec =
  | { kind: 'block'; family: Family; first: bigint; last: bigint; text: string }
  | { kind: 'host'; name: string; text: string };

export class TargetSyntaxError extends InputError {
  override readonly name = 'TargetSyntaxError';
}

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

function block(a: Address, last: bigint, text: string): TargetSpec {
  return { kind: 'block', family: a.family, first: a.value, last, text };
}

/** Parse one target; throws TargetSyntaxError with the reason. */
export function parseTarget(raw: string): TargetSpec {
  const text = raw.trim();
  if (text === '') throw new TargetSyntaxError('empty target');
  const slash = text.indexOf('/');
  if (slash >= 0) {
    const base = parseAddress(text.slice(0, slash));
    const prefixText = text.slice(slash + 1);
    if (base === null) throw new TargetSyntaxError(`"${text}": not an IP address before "/"`);
    const max = bits(base.family);
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max)
      throw new TargetSyntaxError(`"${text}": prefix length must be 0..${max}`);
    const hostBits = BigInt(max - Number(prefixText));
    const first = (base.value >> hostBits) << hostBits;
    return block({ family: base.family, value: first }, first + (1n << hostBits) - 1n, text);
  }
  const dash = text.indexOf('-');
  if (dash > 0 && parseAddress(text) === null) {
    const start = parseAddress(text.slice(0, dash));
    const endText = text.slice(dash + 1);
    if (start !== null) {
      let end: Address | null = parseAddress(endText);
      if (end === null && start.family === 4 && /^\d{1,3}$/.test(endText) && Number(endText) <= 255) {
        end = { family: 4, value: (start.value & ~0xffn) | BigInt(Number(endText)) };
      }
      if (end === null || end.family !== start.family)
        throw new TargetSyntaxError(`"${text}": range end is not an address of the same family`);
      if (end.value < start.value) throw new TargetSyntaxError(`"${text}": range ends before it starts`);
      return block(start, end.value, text);
    }
  }
  const addr = parseAddress(text);
  if (addr !== null) return block(addr, addr.value, text);
  if (/^[\d.]+$/.test(text) || text.includes(':')) throw new TargetSyntaxError(`"${text}": not a valid IP address`);
  if (!HOSTNAME.test(text)) throw new TargetSyntaxError(`"${text}": not an address, CIDR, range or hostname`);
  return { kind: 'host', name: text.toLowerCase().replace(/\.$/, ''), text };
}

export function specSize(spec: TargetSpec): bigint {
  return spec.kind === 'block' ? spec.last - spec.first + 1n : 1n;
}

/** Lazily yields every address of a spec, formatted. */
export function* expand(spec: TargetSpec): Generator<string> {
  if (spec.kind === 'host') {
    yield spec.name;
    return;
  }
  for (let v = spec.first; v <= spec.last; v++) yield formatAddress({ family: spec.family, value: v });
}

export function contains(spec: TargetSpec, address: string): boolean {
  if (spec.kind === 'host') return spec.name === address.toLowerCase();
  const a = parseAddress(address);
  return a !== null && a.family === spec.family && a.value >= spec.first && a.value <= spec.last;
}

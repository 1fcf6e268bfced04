/**
 * The attribution options of a scan, as the user spells them (--asn-data, --contacts, --rdap,
 * --rdap-url, --rdap-ttl, --rdap-rate) → the attribution arguments kept with the scan. Files are
 * read and checked here (errors name file and line) and kept as text, so --resume, workers and the
 * dashboard attribute as the scan was told. The CLI and the dashboard's scans share it.
 */
import { createLogger } from '../util/log.js';
import { UsageError } from '../util/errors.js';
import type { Io } from '../util/io.js';
import { readText } from '../targets/input.js';
import { type AttributionArgs, Attributor, RDAP_DEFAULTS } from './attribute.js';

export interface AttributionCliOptions {
  asnData?: string;
  contacts?: string;
  rdap?: boolean;
  rdapUrl?: string;
  rdapTtl?: string;
  rdapRate?: string;
}

/** "7d", "12h", "30m", "3600s" or plain seconds → seconds. */
export function parseDuration(name: string, s: string): number {
  const m = /^(\d{1,9})([smhd]?)$/.exec(s.trim());
  if (m === null) throw new UsageError(`--${name} must be a duration such as 7d, 12h, 30m or 3600s, got "${s}"`);
  return Number(m[1]) * ({ '': 1, s: 1, m: 60, h: 3600, d: 86400 } as const)[m[2] as '' | 's' | 'm' | 'h' | 'd'];
}

export function attributionArgs(o: AttributionCliOptions, io: Io): AttributionArgs | undefined {
  const out: AttributionArgs = {};
  if (o.asnData !== undefined) out.asnData = { file: o.asnData, text: readText(o.asnData, 'ASN data file', io.stdin) };
  if (o.contacts !== undefined)
    out.contacts = { file: o.contacts, text: readText(o.contacts, 'contacts file', io.stdin) };
  if (o.rdap === true || o.rdapUrl !== undefined) {
    let url: string | null = null;
    if (o.rdapUrl !== undefined) {
      let u: URL;
      try {
        u = new URL(o.rdapUrl);
      } catch {
        throw new UsageError(`--rdap-url must be an http:// or https:// URL, got "${o.rdapUrl}"`);
      }
      if (u.protocol !== 'https:' && u.protocol !== 'http:')
        throw new UsageError(`--rdap-url must be an http:// or https:// URL, got "${o.rdapUrl}"`);
      url = u.toString();
    }
    const rate = o.rdapRate ?? String(RDAP_DEFAULTS.rate);
    if (!/^\d{1,3}$/.test(rate) || Number(rate) < 1 || Number(rate) > 100)
      throw new UsageError(`--rdap-rate must be a whole number from 1 to 100, got "${rate}"`);
    out.rdap = {
      url,
      ttlS: o.rdapTtl !== undefined ? parseDuration('rdap-ttl', o.rdapTtl) : RDAP_DEFAULTS.ttlS,
      rate: Number(rate),
    };
  }
  if (Object.keys(out).length === 0) return undefined;
  // every line checked now, before any probe (errors name file and line)
  new Attributor(out, { log: createLogger('error', io.stderr), cache: null, timeoutMs: 1000 });
  return out;
}

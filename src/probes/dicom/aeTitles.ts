/**
 * AE titles: what opendoor calls itself, the unlikely title used to test "accepts any called AE",
 * and a short dictionary of product defaults and common titles (never a brute-force wordlist).
 */
import type { ServiceObservation } from '../types.js';

/** Our calling AE title: unknown to every server, which is the point (a stranger). */
export const OPENDOOR_CALLING_AE = 'OPENDOOR';

/** A called AE title no archive is configured with. */
export const UNLIKELY_CALLED_AE = 'OPENDOOR-NOSUCH';

/** Product defaults and common titles, most likely first. */
export const DEFAULT_CALLED_AE_TITLES: readonly string[] = [
  'ANY-SCP', // dcmtk tools' default peer title
  'ORTHANC', // Orthanc
  'DCM4CHEE', // dcm4chee-arc light / 2.x
  'DCM4CHEE-ARC', // dcm4chee-arc (seen in deployments)
  'PACS',
  'ARCHIVE',
  'STORESCP', // dcmtk storescp
  'DCMQRSCP', // dcmtk dcmqrscp examples
  'CONQUESTSRV1', // Conquest DICOM server
  'DICOOGLE',
  'CLEARCANVAS',
  'OSIRIX',
  'HOROS',
  'SERVER',
  'SCP',
  'QRSCP',
  'STORE_SCP',
  'DICOM',
  'AE_TITLE',
  'MEDDREAM',
];

/** Validate a user-supplied AE title (1..16 printable ASCII characters, no backslash). */
export function isValidAeTitle(title: string): boolean {
  return (
    title.length > 0 &&
    title.length <= 16 &&
    /^[\x20-\x7e]+$/.test(title) &&
    !title.includes('\\') &&
    title.trim().length > 0
  );
}

/** A called AE title the host itself told (another of its services), and where it came from. */
export interface AeHint {
  title: string;
  /** e.g. `orthanc-system` (Orthanc's /system DicomAet), `dcm4chee-arc-aets`, `product-default:Orthanc`, `tls-certificate`. */
  source: string;
}

/** Documented default called AE titles of products a web page or API can name (sources beside each). */
export const PRODUCT_DEFAULT_AE_TITLES: Readonly<Record<string, readonly string[]>> = {
  Orthanc: ['ORTHANC'], // OrthancServer/Resources/Configuration.json "DicomAet"
  'dcm4chee-arc': ['DCM4CHEE'], // dcm4chee-arc-light default archive AE (its LDAP sample config)
  'Conquest DICOM server': ['CONQUESTSRV1'], // Conquest dicom.ini MyACRNema
  Dicoogle: ['DICOOGLE-STORAGE', 'DICOOGLE'], // Dicoogle server settings defaults
};

/** Hints a product name gives: its documented defaults, then its name in capitals as an AE title. */
export function productHints(product: string): AeHint[] {
  const own = product
    .toUpperCase()
    .replace(/[^A-Z0-9_-]/g, '')
    .slice(0, 16);
  const titles = [...(PRODUCT_DEFAULT_AE_TITLES[product] ?? []), ...(own.length > 0 ? [own] : [])];
  return titles.map((title) => ({ title, source: `product-default:${product}` }));
}

/** Hints tried at most per service (each one association). */
export const MAX_HINTS = 8;

/** What one probed service tells about the host's called AE titles. */
export function hintsFrom(s: ServiceObservation, product: string | null): AeHint[] {
  const from = s.http?.aeTitlesFrom ?? 'web';
  const hints: AeHint[] = (s.http?.aeTitles ?? []).map((title) => ({ title, source: from }));
  if (product !== null) hints.push(...productHints(product));
  // a certificate named for the service: its CN as an AE title (servers are often named after it)
  const cn = /(?:^|, )CN=([^,]+)/.exec(s.tls?.subject ?? '')?.[1]?.trim() ?? null;
  if (cn !== null && cn.length <= 16 && !cn.includes('.'))
    hints.push({ title: cn.toUpperCase(), source: 'tls-certificate' });
  return hints;
}

export interface Candidate {
  title: string;
  /** `user` (--ae-titles), a hint's source, or `dictionary`. */
  source: string;
}

/** Candidates in order — the user's titles, what the host told, the dictionary — duplicates removed. */
export function calledAeCandidates(userTitles: readonly string[], hints: readonly AeHint[] = []): Candidate[] {
  const all: Candidate[] = [
    ...userTitles.map((title) => ({ title, source: 'user' })),
    ...hints.filter((h) => isValidAeTitle(h.title)).slice(0, MAX_HINTS),
    ...DEFAULT_CALLED_AE_TITLES.map((title) => ({ title, source: 'dictionary' })),
  ];
  const seen = new Set<string>([UNLIKELY_CALLED_AE]);
  return all.filter((c) => !seen.has(c.title) && seen.add(c.title) !== undefined);
}

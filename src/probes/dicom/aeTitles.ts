/**
 * AE titles: what opendoor calls itself, the unlikely title used to test "accepts any called AE",
 * and a short dictionary of product defaults and common titles (never a brute-force wordlist).
 */
import type { AeHint, ServiceObservation } from '../types.js';

/** Our calling AE title: unknown to every server, which is the point (a stranger). */
export const OPENDOOR_CALLING_AE = 'OPENDOOR';

/** A called AE title no archive is configured with. */
export const UNLIKELY_CALLED_AE = 'OPENDOOR-NOSUCH';

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

/** The called AE titles a product is tried with, and where they come from. */
export interface ProductTitles {
  /** The product or toolkit as opendoor names it (fingerprint/dicom.ts, probes/http/fingerprint.ts). */
  product: string;
  /** Its documented defaults, most used first; where none is documented, its name in capitals. */
  titles: readonly string[];
  /** Repository, file and line (or constant) of each title. */
  source: string;
}

/**
 * Products of the fingerprint table that run as a server, with their default called AE titles.
 * Order: Orthanc, DCMTK, dcm4chee-arc, Conquest first, as the dictionary had them; the surveys
 * ../shared/fingerprints.md cites give no per-product counts, so the order is a judgement of how
 * widely each is deployed as a server, not a measurement. Left out: toolkits that ship no server of their own (fo-dicom, Odil,
 * dcmjs-dimse, GDCM, ruby-dicom, MergeCOM-3, LEADTOOLS, DicomObjects, go-netdicom, DVTk, mdcm),
 * CTN (simple_storage.c:649: no title, any called AE accepted) and vendors' devices (titles set per
 * site); a page or association that names one still gets its name in capitals (productHints).
 */
export const PRODUCT_DEFAULT_AE_TITLES: readonly ProductTitles[] = [
  {
    product: 'Orthanc',
    titles: ['ORTHANC'],
    source: 'jodogne/OrthancMirror OrthancServer/Resources/Configuration.json:162 "DicomAet"',
  },
  {
    product: 'DCMTK',
    titles: ['ANY-SCP', 'STORESCP', 'COMMON', 'DCMQRSCP'],
    source:
      'DCMTK/dcmtk dcmnet/apps/echoscu.cc:53 PEERAPPLICATIONTITLE (the title its tools call); ' +
      'dcmnet/apps/storescp.cc:79 APPLICATIONTITLE; dcmqrdb/etc/dcmqrscp.cfg:83 (sample AE COMMON, open to ANY peer); ' +
      'DCMQRSCP: the program name in capitals',
  },
  {
    product: 'dcm4chee-arc',
    titles: ['DCM4CHEE'],
    source:
      'dcm4chee-arc-light sample LDAP configuration: dicomAETitle=DCM4CHEE (its Docker scripts rewrite that line)',
  },
  {
    product: 'Conquest DICOM server',
    titles: ['CONQUESTSRV1'],
    source: 'marcelvanherk/Conquest-DICOM-Server linux/conf/dicom.ini.sqlite:11 MyACRNema',
  },
  {
    product: 'Dicoogle',
    titles: ['DICOOGLE-STORAGE', 'DICOOGLE'],
    source:
      'bioinformatics-ua/dicoogle dicoogle/src/main/java/pt/ua/dicoogle/core/settings/part/DicomServicesImpl.java:41; ' +
      'core/settings/LegacyServerSettings.java:462',
  },
  {
    product: 'OsiriX/Horos',
    titles: ['OSIRIX', 'HOROS'],
    source:
      'horosproject/horos Horos/Sources/DefaultsOsiriX.m:781-782 (when the host name is not taken), ' +
      'AppController.m:1203-1204',
  },
  {
    product: 'ClearCanvas',
    titles: ['CLEARCANVAS'],
    source: 'none documented: its name in capitals',
  },
  {
    product: 'MedDream',
    titles: ['MEDDREAM'],
    source: 'shudarshon/meddream-setup meddream/config.sample-clearcanvas.php $local_aet = "MEDDREAM" (its own AE)',
  },
  {
    product: 'pynetdicom',
    titles: ['PYNETDICOM', 'STORESCP', 'QRSCP'],
    source:
      'pydicom/pynetdicom pynetdicom/ae.py:54; pynetdicom/apps/storescp/storescp.py:88-94; ' +
      'pynetdicom/apps/qrscp/default.ini:6 (any called AE is accepted unless require_called_aet, ae.py:98)',
  },
  {
    product: 'DICOM-rs',
    titles: ['STORE-SCP'],
    source:
      'Enet4/dicom-rs storescp/src/main.rs:29 (its storescp accepts any called AE: storescp/src/store_sync.rs:35)',
  },
  {
    product: 'PixelMed',
    titles: ['STORESCP'],
    source:
      'fedorov/pixelmed com/pixelmed/network/StorageSOPClassSCPDispatcher.java:599-600 (its command-line SCP ' +
      'without a properties file); NetworkDefaultValues.java:51-60 otherwise makes it from the host name and port',
  },
  {
    product: 'pacs_system',
    titles: ['PACS_SCP'],
    source: 'kcenon/pacs_system include/pacs/network/server_config.hpp ae_title{"PACS_SCP"}',
  },
];

/** Titles common to many sites, in no product's documentation. */
const COMMON_AE_TITLES: readonly string[] = [
  'PACS', // qeeqbox/honeypots' AE, and many sites' own
  'ARCHIVE',
  'DCM4CHEE-ARC', // dcm4chee-arc (seen in deployments)
  'SERVER',
  'SCP',
  'STORE_SCP',
  'DICOM',
  'AE_TITLE',
];

/** The dictionary: every product's titles, then the common ones, each once, most likely first. */
export const DEFAULT_CALLED_AE_TITLES: readonly string[] = [
  ...new Set([...PRODUCT_DEFAULT_AE_TITLES.flatMap((p) => p.titles), ...COMMON_AE_TITLES]),
];

/** Hints a product name gives: its titles from the table, or else its name in capitals as an AE title. */
export function productHints(product: string): AeHint[] {
  const own = product
    .toUpperCase()
    .replace(/[^A-Z0-9_-]/g, '')
    .slice(0, 16);
  const known = PRODUCT_DEFAULT_AE_TITLES.find((p) => p.product === product)?.titles;
  const titles = known ?? (own.length > 0 ? [own] : []);
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

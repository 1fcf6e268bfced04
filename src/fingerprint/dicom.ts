/**
 * Toolkit identification from the A-ASSOCIATE-AC Implementation Class UID (0x52) and Version Name
 * (0x55). A toolkit is not a product: Orthanc from Debian answers with DCMTK's UID, so the
 * host-level product is decided in ./host.ts from every piece of evidence.
 */

export interface ToolkitFingerprint {
  toolkit: string;
  /** A product, when the UID root belongs to one product rather than a toolkit others embed. */
  product: string | null;
  version: string | null;
}

interface Entry {
  root: string;
  toolkit: string;
  product: string | null;
  /** Extracts a version from the Implementation Version Name. */
  version?: (name: string) => string | null;
}

const digits = (re: RegExp) => (name: string) => {
  const m = re.exec(name);
  return m?.[1] !== undefined ? m[1].split('').join('.') : null;
};
const literal = (re: RegExp) => (name: string) => re.exec(name)?.[1] ?? null;

/** Longest root wins; sources: each toolkit's conformance statement or source. */
const TABLE: readonly Entry[] = [
  { root: '1.2.276.0.7230010.3', toolkit: 'DCMTK', product: null, version: digits(/OFFIS_DCMTK_(\d{3})/) },
  { root: '1.2.40.0.13.1', toolkit: 'dcm4che', product: null, version: literal(/dcm4che-([\d.]+)/i) },
  { root: '1.2.826.0.1.3680043.9.3811', toolkit: 'pynetdicom', product: null, version: digits(/PYNETDICOM3?_(\d{3})/) },
  { root: '1.2.826.0.1.3680043.8.498', toolkit: 'pydicom', product: null },
  { root: '1.3.6.1.4.1.30071.8', toolkit: 'fo-dicom', product: null, version: literal(/fo-dicom ([\d.]+)/i) },
  {
    root: '1.2.826.0.1.3680043.2.135.1066',
    toolkit: 'Conquest',
    product: 'Conquest DICOM server',
    version: literal(/^([\d.]+)/),
  },
  { root: '1.3.6.1.4.1.25403', toolkit: 'ClearCanvas', product: 'ClearCanvas' },
  { root: '1.2.826.0.1.3680043.2.1143', toolkit: 'GDCM', product: null, version: literal(/GDCM ([\d.]+)/) },
  { root: '1.3.6.1.4.1.19291.2.1', toolkit: 'OsiriX', product: 'OsiriX/Horos' },
  { root: '1.2.826.0.1.3680043.2.1545', toolkit: 'DVTk/MicroDicom', product: null },
  { root: '1.2.826.0.1.3680043.2.46', toolkit: 'Merge DICOM Toolkit', product: null },
  { root: '1.2.840.113619', toolkit: 'GE Healthcare', product: 'GE Healthcare' },
  { root: '1.3.12.2.1107', toolkit: 'Siemens Healthineers', product: 'Siemens Healthineers' },
  { root: '1.3.46.670589', toolkit: 'Philips', product: 'Philips' },
  { root: '1.2.124.113532', toolkit: 'Agfa', product: 'Agfa HealthCare' },
  { root: '1.2.392.200036.9125', toolkit: 'Fujifilm', product: 'Fujifilm' },
  { root: '1.2.392.200036.9116', toolkit: 'Canon (Toshiba)', product: 'Canon Medical' },
  { root: '1.2.752.24', toolkit: 'Sectra', product: 'Sectra' },
];

const BY_LONGEST_ROOT = [...TABLE].sort((a, b) => b.root.length - a.root.length);

/** Version names that name a product even when the UID is a toolkit's. */
const PRODUCT_NAMES: ReadonlyArray<[RegExp, string]> = [
  [/^ORTHANC/i, 'Orthanc'],
  [/^OSIRIX/i, 'OsiriX/Horos'],
  [/^HOROS/i, 'OsiriX/Horos'],
  [/DICOOGLE/i, 'Dicoogle'],
  [/MEDDREAM/i, 'MedDream'],
  [/CONQUEST/i, 'Conquest DICOM server'],
];

function isUnder(uid: string, root: string): boolean {
  return uid === root || uid.startsWith(`${root}.`);
}

export function fingerprintToolkit(uid: string | null, versionName: string | null): ToolkitFingerprint | null {
  if (uid === null && versionName === null) return null;
  const name = versionName ?? '';
  const entry = uid === null ? undefined : BY_LONGEST_ROOT.find((e) => isUnder(uid, e.root));
  const named = PRODUCT_NAMES.find(([re]) => re.test(name))?.[1] ?? null;
  if (entry === undefined) return named === null ? null : { toolkit: named, product: named, version: null };
  return { toolkit: entry.toolkit, product: named ?? entry.product, version: entry.version?.(name) ?? null };
}

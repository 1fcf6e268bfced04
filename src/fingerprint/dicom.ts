/**
 * Toolkit identification from the A-ASSOCIATE-AC Implementation Class UID (0x52), Version Name
 * (0x55) and maximum PDU length. A toolkit is not a product: Orthanc answers with DCMTK's UID, so
 * the host-level product is decided in ./host.ts from every piece of evidence.
 *
 * Rules (../shared/fingerprints.md §1): a root matches on component boundaries only; an arc many
 * organisations share (1.2.826.0.1.3680043 Medical Connections, 2.25 UUID-derived, 1.2.156.112536)
 * is never a row; where only the version name tells (DICOM-rs, DicomObjects) the row says so. Every
 * row names its source. The PDU length a toolkit sends is a second signal: an identity that comes
 * with another toolkit's length is reported as contradicted, not believed.
 */
import { isUnder } from '../dicom/uids.js';

export interface ToolkitFingerprint {
  toolkit: string;
  /** A product, when the UID root belongs to one product rather than a toolkit others embed. */
  product: string | null;
  version: string | null;
  /** What the identity rests on: both 0x52 and 0x55, the UID alone, or the version name alone. */
  basis: 'uid+name' | 'uid' | 'name';
  /** Why the identity is not believed (a PDU length or version name that belongs to another toolkit). */
  contradiction: string | null;
}

interface Entry {
  /** Implementation Class UID root, or null for a row recognised by its version name only. */
  root: string | null;
  /** Version names of this row (required when `root` is null or `exact`). */
  name?: RegExp;
  /** The UID must equal the root (a shared arc used verbatim, e.g. MergeCOM-3's `2.16.840.1`). */
  exact?: boolean;
  toolkit: string;
  product: string | null;
  /** Extracts a version from the Implementation Version Name. */
  version?: (name: string) => string | null;
  /** The maximum PDU length this toolkit sends by default, where sources agree on one. */
  pdu?: number;
}

const digits = (re: RegExp) => (name: string) => {
  const m = re.exec(name);
  return m?.[1] !== undefined ? m[1].split('').join('.') : null;
};
const literal = (re: RegExp) => (name: string) => re.exec(name)?.[1] ?? null;

/** Longest root wins. Sources are ../shared/fingerprints.md rows (S source, D data, H second-hand). */
const TABLE: readonly Entry[] = [
  // OFFIS dcmtk/dcmdata/dcuid.h; Orthanc and dicom-dimse-native send it unchanged (fingerprints.md 18, 19)
  { root: '1.2.276.0.7230010.3', toolkit: 'DCMTK', product: null, version: digits(/OFFIS_DCMTK_(\d{3})/), pdu: 16384 },
  // Horos's bundled DCMTK 3.5.4, patched: horosproject/horos dcmtk-source dcuid.h, assoc.cc (row 5)
  { root: '1.2.276.0.7238010.5.0.3.5.4', toolkit: 'DCMTK', product: 'OsiriX/Horos' },
  // the UID Horos writes into files only (row 6); kept so that a file-meta echo still names it
  { root: '1.3.6.1.4.1.19291.2.1', toolkit: 'OsiriX', product: 'OsiriX/Horos' },
  // dcm4che2 default, Dicoogle sends it unchanged (row 20); dcm4che3 sends 16378 (fingerprints.md §1)
  { root: '1.2.40.0.13.1', toolkit: 'dcm4che', product: null, version: literal(/dcm4che-([\d.]+)/i) },
  // pynetdicom/__init__.py, _globals.py: PYNETDICOM_<digits>, max PDU 16382 (row 17)
  {
    root: '1.2.826.0.1.3680043.9.3811',
    toolkit: 'pynetdicom',
    product: null,
    version: digits(/PYNETDICOM3?_(\d{3})/),
    pdu: 16382,
  },
  // pydicom's UID root (generated UIDs; also canned data in honeypots)
  { root: '1.2.826.0.1.3680043.8.498', toolkit: 'pydicom', product: null },
  // fo-dicom DicomImplementation.cs (row 13); mdcm, its predecessor, Dicom/Implementation.cs (row 12)
  { root: '1.3.6.1.4.1.30071.8', toolkit: 'fo-dicom', product: null, version: literal(/fo-dicom ([\d.]+)/i) },
  { root: '1.3.6.1.4.1.30071.6', toolkit: 'mdcm', product: null },
  // a DCMTK association log and a Lua sample (row 21): `<ver>/<platform>`
  {
    root: '1.2.826.0.1.3680043.2.135.1066',
    toolkit: 'Conquest',
    product: 'Conquest DICOM server',
    version: literal(/^([\d.]+)\//),
  },
  // ClearCanvas Dicom/DicomImplementation.cs: `Dicom 0.1`, OEM forks the same (row 11)
  { root: '1.3.6.1.4.1.25403', toolkit: 'ClearCanvas', product: 'ClearCanvas' },
  { root: '1.2.840.999999.1', toolkit: 'ClearCanvas', product: 'ClearCanvas ImageServer' },
  // GDCM's own root
  { root: '1.2.826.0.1.3680043.2.1143', toolkit: 'GDCM', product: null, version: literal(/GDCM ([\d.]+)/) },
  // DVTk session sources: `…2.1545.1.2.1.7` / dvt2.1; kcenon/pacs_system reuses `…2.1545.1` (row 22)
  { root: '1.2.826.0.1.3680043.2.1545.1.2.1.7', toolkit: 'DVTk', product: null },
  { root: '1.2.826.0.1.3680043.2.1545.1', name: /^PACS_SYSTEM/, toolkit: 'pacs_system', product: 'pacs_system' },
  // PixelMed com/pixelmed/dicom/VersionAndConstants.java (row 1)
  { root: '1.3.6.1.4.1.5962', toolkit: 'PixelMed', product: null },
  // CTN facilities/uid/dicom_uids.h, MIR root (row 2)
  { root: '1.2.840.113654', toolkit: 'CTN', product: null },
  // dcmjs-dimse src/Constants.js, src/Implementation.js; max PDU 262144 (row 3)
  {
    root: '1.2.826.0.1.3680043.10.854',
    toolkit: 'dcmjs-dimse',
    product: null,
    version: literal(/DCMJS-DIMSE-V([\d.]+)/),
    pdu: 262144,
  },
  {
    root: '1.3.6.1.4.1.41293.8',
    toolkit: 'dcmjs-dimse',
    product: null,
    version: literal(/DCMJS-DIMSE-V([\d.]+)/),
    pdu: 262144,
  },
  // Odil src/odil/uid.h, uid.cpp, AssociationParameters.cpp: `…9.55600.<major>`, `Odil <major>` (row 4)
  { root: '1.2.826.0.1.3680043.9.55600', toolkit: 'Odil', product: null, version: literal(/^Odil ([\d.]+)/) },
  // ruby-dicom lib/dicom/constants.rb (row 7)
  { root: '1.2.826.0.1.3680043.8.641', toolkit: 'ruby-dicom', product: null },
  // MergeCOM-3 sample configs, mergecom.pro (row 8): Merge's root, and the 5.x literal with its name
  { root: '2.16.840.1.113669', toolkit: 'MergeCOM-3', product: null, version: literal(/MergeCOM3_([\d_]+)/) },
  {
    root: '2.16.840.1',
    exact: true,
    name: /^MergeCOM3/,
    toolkit: 'MergeCOM-3',
    product: null,
    version: literal(/MergeCOM3_([\d_]+)/),
  },
  // Varian RT file-meta dumps (row 9)
  { root: '1.2.246.352', toolkit: 'Varian', product: 'Varian ARIA/Eclipse' },
  // LEADTOOLS defaults, ConstDefineValues.cs, Base.cs (row 10)
  { root: '1.2.840.114257', toolkit: 'LEADTOOLS', product: null },
  // go-dicom constants.go, grailbio go-netdicom contextmanager.go (row 15); kristianvalind fork uid.go (row 16)
  { root: '1.2.826.0.1.3680043.9.7133', toolkit: 'go-netdicom', product: null, pdu: 4194304 },
  { root: '1.2.826.0.1.3680043.10.786', toolkit: 'go-netdicom', product: null, pdu: 4194304 },
  // DICOM-rs ul/src/lib.rs: its UID is a fresh 2.25 each release, so the name alone tells (row 14)
  { root: null, name: /^DICOM-rs /, toolkit: 'DICOM-rs', product: null, version: literal(/^DICOM-rs ([\d.]+)/) },
  // DicomObjects knowledge base, second-hand (row 27)
  { root: null, name: /^DCMOBJ|^DicomObjects/, toolkit: 'DicomObjects', product: null },
  // vendors' roots (file UIDs and conformance statements; rows 23-26 and the earlier table)
  { root: '1.2.840.113619', toolkit: 'GE Healthcare', product: 'GE Healthcare' },
  { root: '1.3.12.2.1107', toolkit: 'Siemens Healthineers', product: 'Siemens Healthineers' },
  { root: '1.3.46.670589', toolkit: 'Philips', product: 'Philips' },
  { root: '1.2.124.113532', toolkit: 'Agfa', product: 'Agfa HealthCare' },
  { root: '1.2.840.113681', toolkit: 'Hologic', product: 'Hologic' },
  { root: '1.3.46.423632', toolkit: 'Elekta', product: 'Elekta' },
  { root: '1.2.392.200036.9125', toolkit: 'Fujifilm', product: 'Fujifilm' },
  { root: '1.2.392.200036.9116', toolkit: 'Canon (Toshiba)', product: 'Canon Medical' },
  { root: '1.2.752.24', toolkit: 'Sectra', product: 'Sectra' },
];

const BY_LONGEST_ROOT = [...TABLE]
  .filter((e) => e.root !== null)
  .sort((a, b) => (b.root?.length ?? 0) - (a.root?.length ?? 0));
const BY_NAME_ONLY = TABLE.filter((e) => e.root === null);

/** Version names that name a product even when the UID is a toolkit's. */
const PRODUCT_NAMES: ReadonlyArray<[RegExp, string]> = [
  [/^ORTHANC/i, 'Orthanc'],
  [/^OSIRIX/i, 'OsiriX/Horos'],
  [/^HOROS/i, 'OsiriX/Horos'],
  [/DICOOGLE/i, 'Dicoogle'],
  [/MEDDREAM/i, 'MedDream'],
  [/CONQUEST/i, 'Conquest DICOM server'],
];

/** Version names that belong to one toolkit: seen with another toolkit's UID, the identity is spoofed. */
const TOOLKIT_NAMES: ReadonlyArray<[RegExp, string]> = [
  [/^OFFIS_DCMTK_/, 'DCMTK'],
  [/^PYNETDICOM/, 'pynetdicom'],
  [/^DCMJS-DIMSE/, 'dcmjs-dimse'],
  [/^fo-dicom /i, 'fo-dicom'],
  [/^Odil /, 'Odil'],
];

function matches(e: Entry, uid: string | null, name: string): boolean {
  if (e.name !== undefined && !e.name.test(name)) return false;
  if (e.root === null) return true;
  return uid !== null && (e.exact === true ? uid === e.root : isUnder(uid, e.root));
}

/** The toolkit whose defaults a maximum PDU length is, where only one toolkit's is (for a contradiction's wording). */
function pduOwner(pdu: number): string | null {
  const owners = [...new Set(TABLE.filter((e) => e.pdu === pdu).map((e) => e.toolkit))];
  return owners.length === 1 ? (owners[0] as string) : null;
}

export function fingerprintToolkit(
  uid: string | null,
  versionName: string | null,
  maxPduLength: number | null = null,
): ToolkitFingerprint | null {
  if (uid === null && versionName === null) return null;
  const name = versionName ?? '';
  const entry = BY_LONGEST_ROOT.find((e) => matches(e, uid, name)) ?? BY_NAME_ONLY.find((e) => matches(e, uid, name));
  const named = PRODUCT_NAMES.find(([re]) => re.test(name))?.[1] ?? null;
  if (entry === undefined) {
    return named === null
      ? null
      : { toolkit: named, product: named, version: null, basis: 'name', contradiction: null };
  }
  const contradictions: string[] = [];
  const nameToolkit = TOOLKIT_NAMES.find(([re]) => re.test(name))?.[1] ?? null;
  if (nameToolkit !== null && nameToolkit !== entry.toolkit)
    contradictions.push(`version name of ${nameToolkit} with a ${entry.toolkit} UID`);
  if (
    entry.pdu !== undefined &&
    maxPduLength !== null &&
    maxPduLength !== entry.pdu &&
    pduOwner(maxPduLength) !== null
  ) {
    contradictions.push(
      `maximum PDU ${maxPduLength} is ${pduOwner(maxPduLength)}'s, not ${entry.toolkit}'s (${entry.pdu})`,
    );
  }
  // real Orthanc sends DCMTK's own version name; `ORTHANC` in 0x55 is a persona (DICOMHawk's default)
  if (named === 'Orthanc')
    contradictions.push("version name ORTHANC, which Orthanc itself never sends (it sends DCMTK's)");
  return {
    toolkit: entry.toolkit,
    product: named ?? entry.product,
    version: entry.version?.(name) ?? null,
    basis: entry.root === null ? 'name' : versionName !== null && versionName !== '' ? 'uid+name' : 'uid',
    contradiction: contradictions.length > 0 ? contradictions.join('; ') : null,
  };
}

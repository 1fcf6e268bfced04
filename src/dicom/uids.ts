/** UIDs from PS3.6 annex A that opendoor negotiates, and opendoor's own identity. */

/** opendoor's Implementation Class UID: a 2.25 (UUID-derived) UID of its own; it never impersonates a toolkit. */
export const OPENDOOR_IMPLEMENTATION_CLASS_UID = '2.25.163739177996599347741310001517336156797';
/** Implementation Version Name, at most 16 characters. */
export const OPENDOOR_IMPLEMENTATION_VERSION = 'OPENDOOR_0_1';

export const TransferSyntax = {
  ImplicitVrLittleEndian: '1.2.840.10008.1.2',
  ExplicitVrLittleEndian: '1.2.840.10008.1.2.1',
} as const;

export const SopClass = {
  Verification: '1.2.840.10008.1.1',
  PatientRootFind: '1.2.840.10008.5.1.4.1.2.1.1',
  PatientRootMove: '1.2.840.10008.5.1.4.1.2.1.2',
  PatientRootGet: '1.2.840.10008.5.1.4.1.2.1.3',
  StudyRootFind: '1.2.840.10008.5.1.4.1.2.2.1',
  StudyRootMove: '1.2.840.10008.5.1.4.1.2.2.2',
  StudyRootGet: '1.2.840.10008.5.1.4.1.2.2.3',
  CtImageStorage: '1.2.840.10008.5.1.4.1.1.2',
  MrImageStorage: '1.2.840.10008.5.1.4.1.1.4',
  SecondaryCaptureImageStorage: '1.2.840.10008.5.1.4.1.1.7',
} as const;

export const STORAGE_SOP_CLASSES: readonly string[] = [
  SopClass.CtImageStorage,
  SopClass.MrImageStorage,
  SopClass.SecondaryCaptureImageStorage,
];

/**
 * An abstract syntax no conformant server can support: a UID under opendoor's own 2.25 root.
 * A server that accepts it accepts anything offered, which is how many honeypots behave.
 */
export const NONEXISTENT_SOP_CLASS = `${OPENDOOR_IMPLEMENTATION_CLASS_UID}.1`;

/** Is `uid` `root` or under it? Roots match on component boundaries only (PS3.5 §9): 1.2.3 holds 1.2.3.4, not 1.2.34. */
export function isUnder(uid: string, root: string): boolean {
  return uid === root || uid.startsWith(`${root}.`);
}

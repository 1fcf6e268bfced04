/**
 * Identifying attributes (PS3.15 annex E basic profile) — the one list every probe reports from, by
 * keyword, in this order — and the in-memory keyed hash that counts patients and studies without
 * keeping a single value.
 */
import { createHmac, randomBytes } from 'node:crypto';

interface PhiAttribute {
  keyword: string;
  /** PS3.6 tag, as DICOM JSON (PS3.18 F.2) keys it. */
  tag: string;
  /** Asked for as a return key of a study-level C-FIND. */
  studyKey: boolean;
}

const PHI: readonly PhiAttribute[] = [
  { keyword: 'PatientName', tag: '00100010', studyKey: true },
  { keyword: 'PatientID', tag: '00100020', studyKey: true },
  { keyword: 'IssuerOfPatientID', tag: '00100021', studyKey: true },
  { keyword: 'PatientBirthDate', tag: '00100030', studyKey: true },
  { keyword: 'PatientSex', tag: '00100040', studyKey: true },
  { keyword: 'OtherPatientIDs', tag: '00101000', studyKey: true },
  { keyword: 'PatientAddress', tag: '00101040', studyKey: true },
  { keyword: 'PatientTelephoneNumbers', tag: '00102154', studyKey: true },
  { keyword: 'AccessionNumber', tag: '00080050', studyKey: true },
  { keyword: 'ReferringPhysicianName', tag: '00080090', studyKey: true },
  { keyword: 'InstitutionName', tag: '00080080', studyKey: true },
  { keyword: 'StudyDescription', tag: '00081030', studyKey: true },
  { keyword: 'RequestingPhysician', tag: '00321032', studyKey: false },
];

/** Every identifying attribute by keyword, in reporting order. */
export const PHI_ATTRIBUTES: readonly string[] = PHI.map((a) => a.keyword);

/** The ones a study-level C-FIND asks for as return keys. */
export const PHI_STUDY_KEYS: readonly string[] = PHI.filter((a) => a.studyKey).map((a) => a.keyword);

/** Keyword → tag, for DICOM JSON (QIDO-RS answers). */
export const PHI_TAGS: ReadonlyMap<string, string> = new Map(PHI.map((a) => [a.keyword, a.tag]));

/** The names found, in reporting order (what a record's `exposure.phi` holds). */
export function phiInOrder(found: ReadonlySet<string>): string[] {
  return PHI_ATTRIBUTES.filter((k) => found.has(k));
}

/** A key generated per process and never written anywhere: the hashes mean nothing outside this run. */
const KEY = randomBytes(32);

/** 96-bit keyed digest of identifying text, for distinct counting in memory only. */
export function keyedDigest(...parts: string[]): string {
  return createHmac('sha256', KEY).update(parts.join('\u0000')).digest('base64url').slice(0, 16);
}

/** The key a patient is counted by: PatientID with its issuer, or name and birth date when no ID is given. */
export function patientKey(patientId: string, issuer: string, name: string, birthDate: string): string {
  return patientId !== '' ? keyedDigest('patient', patientId, issuer) : keyedDigest('patient-noid', name, birthDate);
}

/**
 * A digest of what a host answered, for grouping hosts that answer alike (fingerprint/cluster.ts):
 * keyed with the scan's print key, which every worker of the scan shares and the store erases with
 * the prints once the scan's clusters are judged, so a print cannot be tested against guesses
 * afterwards nor linked to another scan's.
 */
export function answerPrint(key: Buffer, ...parts: string[]): string {
  return createHmac('sha256', key).update(parts.join('\u0000')).digest('base64url').slice(0, 22);
}

/** One print for a set of prints, whatever the order they were seen in. */
export function setPrint(key: Buffer, prints: Iterable<string>): string {
  return answerPrint(key, 'set', ...[...prints].sort());
}

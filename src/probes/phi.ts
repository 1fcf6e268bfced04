/**
 * Identifying attributes (PS3.15 annex E basic profile, the ones a C-FIND can return) and the
 * in-memory keyed hash that counts patients and studies without keeping a single value.
 */
import { createHmac, randomBytes } from 'node:crypto';

/** Requested as return keys; reported by name when a stranger receives them non-empty. */
export const PHI_ATTRIBUTES: readonly string[] = [
  'PatientName',
  'PatientID',
  'IssuerOfPatientID',
  'PatientBirthDate',
  'PatientSex',
  'OtherPatientIDs',
  'PatientAddress',
  'PatientTelephoneNumbers',
  'AccessionNumber',
  'ReferringPhysicianName',
  'InstitutionName',
  'StudyDescription',
];

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

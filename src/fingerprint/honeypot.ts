/**
 * Is this a honeypot? A judgement with reasons, from cheap and harmless tells (../shared/
 * fingerprints.md §4) that real servers do not show: an A-ASSOCIATE-AC without an Implementation
 * Class UID (PS3.8 requires one; the go-netdicom family, dicompot among it, sends none), a persona
 * whose UID, version name and PDU length disagree (DICOMHawk), C-FIND answers for a study that
 * cannot exist, known canned data (pynetdicom's sample patient, public research-archive UIDs).
 * Accepting a SOP class that does not exist is weaker (permissive real servers do it too) and
 * counts only with another tell. A suspected honeypot's exposure is left out of every total.
 */
import type { ServiceObservation } from '../probes/types.js';
import type { FingerprintBasis } from './host.js';

export interface Honeypot {
  suspect: boolean;
  /** Stable names of the tells seen (strong ones first). */
  reasons: string[];
}

const STRONG = new Set(['no-implementation-class-uid', 'persona-contradicted', 'phantom-c-find-match', 'canned-data']);

/** The tells of one service; null when it did not speak DICOM (nor served studies over the web). */
export function honeypotTells(s: ServiceObservation, fingerprint: FingerprintBasis): string[] {
  const reasons: string[] = [];
  const d = s.dicom;
  if (d !== null && d.calledAe !== null && d.implementationClassUid === null)
    reasons.push('no-implementation-class-uid');
  if (fingerprint.contradiction !== null) reasons.push('persona-contradicted');
  if ((d?.phantomMatches ?? 0) > 0) reasons.push('phantom-c-find-match');
  const e = s.exposure;
  if (e !== null && e.cannedStudies > 0 && e.cannedStudies * 2 >= e.studies) reasons.push('canned-data');
  if (d?.acceptsNonexistentSopClass === true) reasons.push('accepts-nonexistent-sop-class');
  return reasons;
}

/** One host, one judgement: the tells of all its services together. */
export function judgeHost(tells: readonly string[][]): Honeypot {
  const reasons = [...new Set(tells.flat())].sort((a, b) => Number(STRONG.has(b)) - Number(STRONG.has(a)));
  const strong = reasons.filter((r) => STRONG.has(r)).length;
  return { suspect: strong > 0 || reasons.length >= 2, reasons };
}

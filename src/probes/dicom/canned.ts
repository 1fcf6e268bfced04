/**
 * Known canned data: studies that honeypots and sample servers serve and no hospital holds
 * (../shared/fingerprints.md §4). Checked on values in memory during a count; only the number of
 * studies that match leaves (ExposureObservation.cannedStudies).
 */
import { isUnder } from '../../dicom/uids.js';

/** UID roots of public sample data: TCIA's collections (DICOMHawk's data), pydicom's generated UIDs (its legacy build). */
const CANNED_UID_ROOTS: readonly string[] = ['1.3.6.1.4.1.14519.5.2.1', '1.2.826.0.1.3680043.8.498'];
/** pynetdicom's bundled sample patient (qeeqbox/honeypots serves it whatever the query). */
const CANNED_PATIENT_IDS: ReadonlySet<string> = new Set(['1CT1']);

export function isCanned(studyInstanceUid: string, patientId: string): boolean {
  return CANNED_PATIENT_IDS.has(patientId.trim()) || CANNED_UID_ROOTS.some((root) => isUnder(studyInstanceUid, root));
}

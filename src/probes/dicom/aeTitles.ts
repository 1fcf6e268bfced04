/**
 * AE titles: what opendoor calls itself, the unlikely title used to test "accepts any called AE",
 * and a short dictionary of product defaults and common titles (never a brute-force wordlist).
 */

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

/** Candidates in order, user titles first, duplicates removed. */
export function calledAeCandidates(userTitles: readonly string[]): string[] {
  return [...new Set([...userTitles, ...DEFAULT_CALLED_AE_TITLES])].filter((t) => t !== UNLIKELY_CALLED_AE);
}

/**
 * Recognising imaging web front ends from what a stranger's GET returns: headers, the HTML title and
 * tell-tale strings. A table, so a new product is one line.
 */

export interface WebPage {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface WebProduct {
  product: string;
  /** The kind of service: an API we can count through, or a viewer/front end. */
  kind: 'orthanc' | 'dicomweb' | 'viewer' | 'pacs-ui';
}

const TABLE: ReadonlyArray<{ re: RegExp; where: 'body' | 'headers' | 'any'; id: WebProduct }> = [
  { re: /Orthanc Secure Area/i, where: 'headers', id: { product: 'Orthanc', kind: 'orthanc' } },
  { re: /\/app\/explorer\.html|Orthanc Explorer/i, where: 'any', id: { product: 'Orthanc', kind: 'orthanc' } },
  {
    re: /<title>[^<]*OHIF[^<]*<\/title>|ohif-viewer|app-config\.js/i,
    where: 'body',
    id: { product: 'OHIF Viewer', kind: 'viewer' },
  },
  { re: /dcm4chee-arc/i, where: 'any', id: { product: 'dcm4chee-arc', kind: 'pacs-ui' } },
  { re: /Dicoogle/i, where: 'any', id: { product: 'Dicoogle', kind: 'pacs-ui' } },
  { re: /KHEOPS/i, where: 'any', id: { product: 'Kheops', kind: 'viewer' } },
  { re: /MedDream/i, where: 'any', id: { product: 'MedDream', kind: 'viewer' } },
  { re: /Conquest DICOM|ConQuest/i, where: 'any', id: { product: 'Conquest DICOM server', kind: 'pacs-ui' } },
  {
    re: /Horos Web Portal|OsiriX Web Portal|OsiriX HD/i,
    where: 'any',
    id: { product: 'OsiriX/Horos', kind: 'viewer' },
  },
  { re: /Stone Web Viewer/i, where: 'body', id: { product: 'Orthanc', kind: 'viewer' } },
];

export function recognise(page: WebPage): WebProduct | null {
  const headers = Object.entries(page.headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
  const body = page.body.slice(0, 64 * 1024);
  for (const row of TABLE) {
    const text = row.where === 'body' ? body : row.where === 'headers' ? headers : `${headers}\n${body}`;
    if (row.re.test(text)) return row.id;
  }
  return null;
}

/** What a server said, kept as text, as it said it: white space folded, at most this long. */
export const SAID_MAX = 200;

/** A string a server sent, bounded and on one line (markup in it stays: it is data, shown as text). */
export function said(s: string | null | undefined): string | null {
  if (s === null || s === undefined) return null;
  const t = s.replace(/\s+/g, ' ').trim().slice(0, SAID_MAX);
  return t === '' ? null : t;
}

/**
 * The HTML <title> for the record (a product name, not patient data: only read from `/`). A title
 * with markup in it is kept as text, not dropped: that server is the one to show.
 */
export function title(body: string): string | null {
  const m = /<title\b[^>]*>([\s\S]{0,4096}?)<\/title>/i.exec(body);
  return said(m?.[1]);
}

/** Where DICOMweb services usually live (QIDO-RS `studies` is appended). */
export const DICOMWEB_ROOTS: readonly string[] = [
  '/dicom-web',
  '/dicomweb',
  '/wado',
  '/orthanc/dicom-web',
  '/dcm4chee-arc/aets/DCM4CHEE/rs',
  '/rs',
  '/qido',
];

/** Vendor default credentials, documented by the vendors; tried only at --depth access and above. */
export const DEFAULT_CREDENTIALS: ReadonlyArray<{ product: string | null; user: string; password: string }> = [
  { product: 'Orthanc', user: 'orthanc', password: 'orthanc' }, // Orthanc Docker images
  { product: 'Orthanc', user: 'alice', password: 'alicePassword' }, // Orthanc sample configuration
  { product: 'dcm4chee-arc', user: 'admin', password: 'admin' },
  { product: 'dcm4chee-arc', user: 'root', password: 'changeit' },
  { product: null, user: 'admin', password: 'admin' },
];

/**
 * WADO-URI (PS3.18 §9: `GET …?requestType=WADO&studyUID=…&seriesUID=…&objectUID=…`), the retrieval
 * interface of many older viewers and gateways. Recognised from the links a page carries (web
 * viewers link their objects so; a bare endpoint without UIDs answers nothing that tells it apart
 * from a missing page: Orthanc's plugin says 404 as for any unknown path); at --depth retrieve one
 * linked object is downloaded and dropped. It lists nothing, so it never counts. Beside a DICOMweb
 * root it is the retrieval fallback (dicomweb.ts) with the UIDs QIDO-RS gave.
 */
import type { WebAdapter } from './adapter.js';
import type { HttpClient } from './client.js';

export interface WadoUids {
  studyUID: string;
  seriesUID: string;
  objectUID: string;
}

/**
 * Where a WADO-URI service of a DICOMweb root is likely: beside the root (Orthanc's plugin:
 * /dicom-web and /wado; behind a path prefix, /prefix/wado), then at the site's root.
 */
export function wadoUriPaths(root: string): string[] {
  const beside = `${root.replace(/\/[^/]*$/, '')}/wado`;
  return [...new Set([beside, '/wado'])].slice(0, WADO_URI_PATHS);
}

/** At most this many paths from wadoUriPaths: beside the root, then the site's root. */
export const WADO_URI_PATHS = 2;

const UID = /^[0-9.]{1,64}$/;

/** One object by WADO-URI at the first path that serves it: its bytes counted, none kept. */
export async function wadoUriObject(
  client: HttpClient,
  paths: readonly string[],
  uids: WadoUids,
  headers: Record<string, string>,
): Promise<boolean> {
  if (!UID.test(uids.studyUID) || !UID.test(uids.seriesUID) || !UID.test(uids.objectUID)) return false;
  // a literal query: Orthanc does not decode %2F here, and UIDs need no escaping
  const query = `requestType=WADO&studyUID=${uids.studyUID}&seriesUID=${uids.seriesUID}&objectUID=${uids.objectUID}&contentType=application/dicom`;
  for (const path of paths) {
    const r = await client.drain(`${path}?${query}`, { accept: 'application/dicom', ...headers });
    if ('bytes' in r && r.status === 200 && r.bytes > 132) return true;
  }
  return false;
}

/** A WADO-URI link of the page: its path on this origin and its UIDs (when it names all three). */
export interface WadoLink {
  path: string;
  uids: WadoUids | null;
}

/** The page's same-origin links that are WADO-URI requests (at most 20 read). */
export function wadoLinks(html: string, origin: string): WadoLink[] {
  const out: WadoLink[] = [];
  for (const m of html.matchAll(/href\s*=\s*["']([^"']*requesttype=wado[^"']*)["']/gi)) {
    if (out.length >= 20) break;
    let url: URL;
    try {
      url = new URL((m[1] ?? '').replace(/&amp;/gi, '&'), `${origin}/`);
    } catch {
      continue;
    }
    if (url.origin !== origin) continue;
    const q = (k: string) => url.searchParams.get(k) ?? '';
    const uids = { studyUID: q('studyUID'), seriesUID: q('seriesUID'), objectUID: q('objectUID') };
    out.push({ path: url.pathname, uids: Object.values(uids).every((u) => UID.test(u)) ? uids : null });
  }
  return out;
}

export const wadoUri: WebAdapter = {
  name: 'WADO-URI',
  // the links are read from the root page; one linked object downloaded
  budget: { detect: 0, retrieve: { requests: 0, downloads: 1 } },
  async detect({ client, root }) {
    const links = wadoLinks(root.text, client.origin);
    if (links.length === 0) return null;
    const object = links.find((l) => l.uids !== null);
    return {
      api: 'wado-uri',
      auth: 'none',
      ...(object?.uids != null
        ? {
            retrieve: async (headers) =>
              (await wadoUriObject(client, [object.path], object.uids as WadoUids, headers)) ? 'wado-uri' : null,
          }
        : {}),
    };
  },
};

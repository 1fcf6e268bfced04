/**
 * Orthanc's REST API (https://orthanc.uclouvain.be/book/users/rest.html): identity from /system,
 * exact counts from /statistics, identifying attribute names from one expanded patient and study,
 * and the retrieval proof through /instances/{id}/file. Bodies are parsed in memory and dropped.
 */
import type { ExposureObservation } from '../types.js';
import { defaultsFor, tryDefaults, type WebAdapter, type WebFound } from './adapter.js';
import { isObj, json, type HttpClient } from './client.js';
import { PHI_ATTRIBUTES, phiInOrder } from '../phi.js';

export interface OrthancSystem {
  version: string | null;
  dicomAet: string | null;
  dicomPort: number | null;
}

type Obj = Record<string, unknown>;

/** /system → identity, or null when this is not Orthanc (or not readable with these headers). */
export async function orthancSystem(
  client: HttpClient,
  headers: Record<string, string>,
): Promise<{ status: number; system: OrthancSystem | null } | null> {
  const r = await client.get('/system', headers, 64 * 1024);
  if (!r.ok) return null;
  const body = json(r.body);
  if (r.status === 200 && isObj(body) && 'ApiVersion' in body && 'DicomAet' in body) {
    return {
      status: r.status,
      system: {
        version: typeof body['Version'] === 'string' ? body['Version'].slice(0, 40) : null,
        dicomAet: typeof body['DicomAet'] === 'string' ? body['DicomAet'].slice(0, 16) : null,
        dicomPort: typeof body['DicomPort'] === 'number' ? body['DicomPort'] : null,
      },
    };
  }
  return { status: r.status, system: null };
}

function nonEmptyTagNames(resource: unknown, into: Set<string>): void {
  if (!isObj(resource)) return;
  for (const key of ['MainDicomTags', 'PatientMainDicomTags']) {
    const tags = resource[key];
    if (!isObj(tags)) continue;
    for (const name of PHI_ATTRIBUTES) {
      const v = tags[name];
      if (typeof v === 'string' && v.trim() !== '') into.add(name);
    }
  }
}

const count = (o: Obj, k: string): number => (typeof o[k] === 'number' ? (o[k] as number) : 0);

export async function orthancExposure(
  client: HttpClient,
  headers: Record<string, string>,
): Promise<ExposureObservation | null> {
  const stats = await client.get('/statistics', headers, 64 * 1024);
  if (!stats.ok || stats.status !== 200) return null;
  const s = json(stats.body);
  if (!isObj(s)) return null;
  const phi = new Set<string>();
  let queries = 1;
  for (const path of ['/patients?expand&since=0&limit=1', '/studies?expand&since=0&limit=1']) {
    const r = await client.get(path, headers, 256 * 1024);
    queries++;
    const list = r.ok && r.status === 200 ? json(r.body) : undefined;
    if (Array.isArray(list)) for (const item of list) nonEmptyTagNames(item, phi);
  }
  return {
    patients: count(s, 'CountPatients'),
    studies: count(s, 'CountStudies'),
    series: count(s, 'CountSeries'),
    instances: count(s, 'CountInstances'),
    linkedImages: count(s, 'CountInstances'),
    complete: true,
    incompleteReason: null,
    capped: false,
    phi: phiInOrder(phi),
    queries,
    splits: [],
    cannedStudies: 0,
    model: 'orthanc-rest',
  };
}

/** Download one instance's file, counting its bytes and keeping none. */
export async function orthancRetrieve(client: HttpClient, headers: Record<string, string>): Promise<boolean> {
  const r = await client.get('/instances?since=0&limit=1', headers, 64 * 1024);
  const ids = r.ok && r.status === 200 ? json(r.body) : undefined;
  const id = Array.isArray(ids) && typeof ids[0] === 'string' && /^[0-9a-f-]{20,64}$/.test(ids[0]) ? ids[0] : null;
  if (id === null) return false;
  const d = await client.drain(`/instances/${id}/file`, headers);
  return 'bytes' in d && d.status === 200 && d.bytes > 132;
}

/**
 * Orthanc REST: /system names it (or a 401 there on a page that names Orthanc); its vendor defaults
 * from --depth access; exact counts from /statistics; retrieval through /instances/{id}/file.
 */
export const orthancRest: WebAdapter = {
  name: 'Orthanc REST',
  // /system; each default then /system once more; /statistics and one patient and one study; the list, the file
  budget: { detect: 1, access: defaultsFor('Orthanc') + 1, count: 3, retrieve: { requests: 1, downloads: 1 } },
  async detect({ client, product }) {
    const sys = await orthancSystem(client, {});
    if (sys === null || (sys.system === null && !(sys.status === 401 && product === 'Orthanc'))) return null;
    const told = (s: OrthancSystem | null): Pick<WebFound, 'version' | 'aeTitles'> => ({
      version: s?.version ?? null,
      aeTitles: s?.dicomAet != null ? [s.dicomAet] : [],
    });
    const found: WebFound = {
      api: 'orthanc',
      product: 'Orthanc',
      aeSource: 'orthanc-system',
      auth: sys.system !== null ? 'none' : 'required',
      ...told(sys.system),
      async access() {
        const headers = await tryDefaults('Orthanc', async (h) => (await orthancSystem(client, h))?.system != null);
        if (headers !== null) Object.assign(found, told((await orthancSystem(client, headers))?.system ?? null));
        return headers;
      },
      count: (headers) => orthancExposure(client, headers),
      retrieve: async (headers) => ((await orthancRetrieve(client, headers)) ? 'orthanc-rest' : null),
    };
    return found;
  },
};

/**
 * dcm4chee-arc (5.x, "light"): its REST API lists the archive's application entities at
 * `/dcm4chee-arc/aets`, as JSON objects written by dcm4che's JsonConfiguration.writeTo
 * (ApplicationEntityInfo): `dicomAETitle`, `dicomDeviceName`, `dicomDescription`, … — answered
 * without credentials unless Keycloak secures the archive. The titles are the AE evidence for the
 * host's DICOM ports; each AE has a DICOMweb root at `/dcm4chee-arc/aets/{AET}/rs`, counted by
 * QIDO-RS through the first that answers (the AEs of one archive view the same studies: never summed).
 */
import type { WebAdapter } from './adapter.js';
import { isObj, json } from './client.js';
import { WADO_RETRIEVE, qidoExposure, wadoRetrieve } from './dicomweb.js';
import { countBounds } from '../types.js';

const AETS = '/dcm4chee-arc/aets';
/** At most this many titles kept (each may become one association on a DICOM port). */
const MAX_TITLES = 8;
const AE_TITLE = /^[\x20-\x7e]{1,16}$/;

export const dcm4cheeArc: WebAdapter = {
  name: 'dcm4chee-arc REST',
  // the AE list; a QIDO-RS question to each listed AE's root, then its count; WADO-RS (WADO-URI beside)
  budget: { detect: 1, count: MAX_TITLES, paged: true, retrieve: WADO_RETRIEVE },
  async detect({ client, opts, product }) {
    const r = await client.get(AETS, { accept: 'application/json' }, 256 * 1024);
    if (!r.ok) return null;
    // a locked list is only claimed where the page named dcm4chee-arc: any site may lock any path
    if (r.status === 401 || r.status === 403)
      return product === 'dcm4chee-arc' ? { api: 'dcm4chee-arc', product: 'dcm4chee-arc', auth: 'required' } : null;
    const list = r.status === 200 ? json(r.body) : undefined;
    if (!Array.isArray(list)) return null;
    const titles = [
      ...new Set(
        list
          .filter(isObj)
          .map((ae) => ae['dicomAETitle'])
          .filter((t): t is string => typeof t === 'string' && AE_TITLE.test(t.trim()))
          .map((t) => t.trim()),
      ),
    ].slice(0, MAX_TITLES);
    if (titles.length === 0) return null;
    const roots = titles.map((t) => `${AETS}/${encodeURIComponent(t)}/rs`);
    let counted: string | null = null;
    return {
      api: 'dcm4chee-arc',
      product: 'dcm4chee-arc',
      auth: 'none',
      aeTitles: titles,
      aeSource: 'dcm4chee-arc-aets',
      dicomweb: roots[0],
      async count(headers) {
        for (const root of roots) {
          const probe = await client.get(`${root}/studies?limit=1`, { accept: 'application/dicom+json', ...headers });
          if (!probe.ok || (probe.status !== 200 && probe.status !== 204)) continue;
          counted = root;
          return qidoExposure(client, root, headers, countBounds(opts));
        }
        return null;
      },
      retrieve: (headers) => wadoRetrieve(client, counted ?? (roots[0] as string), headers),
    };
  },
};

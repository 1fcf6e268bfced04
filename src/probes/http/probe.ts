/**
 * The HTTP probe: what web front end or imaging API is this, does it ask for credentials (and does a
 * vendor default open it), and — through Orthanc REST or DICOMweb — what can a stranger read?
 */
import { depthAtLeast, type Depth, type ExposureObservation, type HttpObservation } from '../types.js';
import type { Logger } from '../../util/log.js';
import { HttpClient, basicAuth, type HttpFailure } from './client.js';
import { findDicomWebRoot, qidoExposure, wadoRetrieve } from './dicomweb.js';
import { DEFAULT_CREDENTIALS, DICOMWEB_ROOTS, recognise, said, title } from './fingerprint.js';
import { orthancExposure, orthancRetrieve, orthancSystem } from './orthanc.js';
import { DEFAULT_LISTING_BOUNDS, listingColumns, listingExposure } from './patientList.js';

export interface HttpProbeOptions {
  timeoutMs: number;
  tls: boolean;
  depth: Depth;
  maxQueries: number;
  countBudgetMs: number;
  log: Logger;
}

export type HttpProbeResult =
  | {
      kind: 'http';
      observation: HttpObservation;
      product: string | null;
      version: string | null;
      exposure: ExposureObservation | null;
    }
  | { kind: 'not-http'; failure: { failure: HttpFailure; code: string | null } };

async function tryDefaults(
  product: string | null,
  works: (headers: Record<string, string>) => Promise<boolean>,
): Promise<Record<string, string> | null> {
  for (const c of DEFAULT_CREDENTIALS.filter((d) => d.product === product || d.product === null)) {
    const headers = basicAuth(c.user, c.password);
    if (await works(headers)) return headers;
  }
  return null;
}

/**
 * The longest probeHttp can take at this depth: every request it may send (root, /system, each
 * DICOMweb root; vendor defaults from access; the Orthanc counts from count) at its bound of twice
 * the timeout; from count, the count budget plus the request in flight when it ran out; at
 * retrieve, one more listing and a download at ten times the timeout.
 */
export function httpProbeBoundMs(opts: Pick<HttpProbeOptions, 'timeoutMs' | 'countBudgetMs' | 'depth'>): number {
  const t = opts.timeoutMs;
  const access = depthAtLeast(opts.depth, 'access') ? 2 * DEFAULT_CREDENTIALS.length + 1 : 0;
  const requests = 2 + DICOMWEB_ROOTS.length + access + (depthAtLeast(opts.depth, 'count') ? 4 : 0);
  const counting = depthAtLeast(opts.depth, 'count') ? opts.countBudgetMs + 2 * t : 0;
  const retrieving = depthAtLeast(opts.depth, 'retrieve') ? 12 * t : 0;
  return 2 * t * requests + counting + retrieving;
}

/** A page that speaks of patients or imaging (five languages): worth following its links for a listing. */
const MENTIONS_IMAGING = /patient|pacs|dicom|radiolog|study|studies|étude|studie|estudio|studio|examen|untersuchung/i;

export async function probeHttp(host: string, port: number, opts: HttpProbeOptions): Promise<HttpProbeResult> {
  const client = await HttpClient.open({ host, port, tls: opts.tls, timeoutMs: opts.timeoutMs });
  try {
    const root = await client.get('/', {}, 256 * 1024);
    if (!root.ok) return { kind: 'not-http', failure: root };
    const body = root.body.toString('utf8');
    const web = recognise({ status: root.status, headers: root.headers, body });
    const obs: HttpObservation = {
      status: root.status,
      server: said(root.headers['server']),
      auth: null,
      api: null,
      dicomweb: null,
      title: title(body),
      retrieve: null,
      retrieveVia: null,
      aeTitles: [],
    };
    let product = web?.product ?? null;
    let version: string | null = null;
    let headers: Record<string, string> = {};
    const access = depthAtLeast(opts.depth, 'access');

    const sys = await orthancSystem(client, {});
    if (sys !== null && (sys.system !== null || (sys.status === 401 && product === 'Orthanc'))) {
      product = 'Orthanc';
      obs.api = 'orthanc';
      obs.auth = sys.system !== null ? 'none' : 'required';
      version = sys.system?.version ?? null;
      let aet = sys.system?.dicomAet ?? null;
      if (sys.system === null && access) {
        const found = await tryDefaults('Orthanc', async (h) => (await orthancSystem(client, h))?.system != null);
        if (found !== null) {
          headers = found;
          obs.auth = 'default-credentials';
          const again = (await orthancSystem(client, headers))?.system ?? null;
          version = again?.version ?? null;
          aet = again?.dicomAet ?? null;
        }
      }
      if (aet !== null) obs.aeTitles.push(aet);
    }
    const dw = await findDicomWebRoot(client, headers);
    if (dw !== null) {
      obs.dicomweb = dw.root;
      obs.api ??= 'dicomweb';
      if (dw.status === 401 || dw.status === 403) {
        obs.auth ??= 'required';
        if (access && obs.auth === 'required') {
          const found = await tryDefaults(product, async (h) => {
            const again = await client.get(
              `${dw.root}/studies?limit=1`,
              { accept: 'application/dicom+json', ...h },
              1024 * 1024,
            );
            return again.ok && (again.status === 200 || again.status === 204);
          });
          if (found !== null) {
            headers = found;
            obs.auth = 'default-credentials';
          }
        }
      } else {
        obs.auth ??= 'none';
      }
    }
    obs.auth ??= root.status === 401 ? 'required' : 'none';
    // a plain page (or JSON) that lists patients: the door the press articles describe
    const rootPage = { status: root.status, contentType: root.headers['content-type'] ?? '', body: root.body };
    const listsPatients = obs.api === null && listingColumns(rootPage).length > 0;
    if (listsPatients) obs.api = 'patient-list';

    let exposure: ExposureObservation | null = null;
    const readable = obs.auth === 'none' || obs.auth === 'default-credentials';
    if (readable && depthAtLeast(opts.depth, 'count')) {
      if (obs.api === 'orthanc') exposure = await orthancExposure(client, headers);
      else if (obs.api === 'patient-list' || (obs.api === null && MENTIONS_IMAGING.test(body))) {
        exposure = await listingExposure(client, rootPage, '/', {
          ...DEFAULT_LISTING_BOUNDS,
          budgetMs: opts.countBudgetMs,
        });
        if (exposure !== null) obs.api = 'patient-list';
      } else if (obs.dicomweb !== null)
        exposure = await qidoExposure(client, obs.dicomweb, headers, {
          maxQueries: opts.maxQueries,
          budgetMs: opts.countBudgetMs,
        });
      if (exposure !== null && depthAtLeast(opts.depth, 'retrieve') && exposure.instances > 0) {
        const via =
          obs.api === 'orthanc'
            ? (await orthancRetrieve(client, headers))
              ? 'orthanc-rest'
              : null
            : obs.dicomweb !== null
              ? await wadoRetrieve(client, obs.dicomweb, headers)
              : undefined;
        if (via !== undefined) {
          obs.retrieve = via !== null;
          obs.retrieveVia = via;
        }
      }
    }
    return { kind: 'http', observation: obs, product, version, exposure };
  } finally {
    await client.close();
  }
}

/**
 * DICOMweb (PS3.18): find a QIDO-RS root, count studies/series/instances and patients exactly by
 * paging `studies` with limit/offset until an empty page (servers may shorten pages below the limit
 * asked), name the identifying attributes returned, and prove WADO-RS retrieval by counting bytes.
 */
import { asText } from '../../dicom/dataset.js';
import { type CountBounds, type ExposureObservation, countBounds } from '../types.js';
import { isCanned } from '../dicom/canned.js';
import { PHI_ATTRIBUTES, PHI_TAGS, keyedDigest, patientKey, phiInOrder } from '../phi.js';
import { defaultsFor, tryDefaults, type WebAdapter } from './adapter.js';
import { json, type HttpClient } from './client.js';
import { DEFAULT_CREDENTIALS, DICOMWEB_ROOTS } from './fingerprint.js';
import { WADO_URI_PATHS, wadoUriObject, wadoUriPaths } from './wadoUri.js';

const DICOM_JSON = { accept: 'application/dicom+json' };
const PAGE = 200;

/** Tags asked for and their keywords (PS3.6); the PHI ones are reported by keyword when non-empty. */
const TAGS = {
  StudyInstanceUID: '0020000D',
  SeriesInstanceUID: '0020000E',
  SOPInstanceUID: '00080018',
  PatientID: '00100020',
  IssuerOfPatientID: '00100021',
  PatientName: '00100010',
  PatientBirthDate: '00100030',
  PatientSex: '00100040',
  AccessionNumber: '00080050',
  ReferringPhysicianName: '00080090',
  NumberOfStudyRelatedSeries: '00201206',
  NumberOfStudyRelatedInstances: '00201208',
  NumberOfSeriesRelatedInstances: '00201209',
} as const;

type Dataset = Record<string, { vr?: string; Value?: unknown[] } | undefined>;

function text(ds: Dataset, keyword: keyof typeof TAGS): string {
  return asText(ds[TAGS[keyword]]?.Value?.[0]);
}

function datasets(body: Buffer): Dataset[] | null {
  if (body.length === 0) return [];
  const v = json(body);
  return Array.isArray(v) ? (v.filter((x) => typeof x === 'object' && x !== null) as Dataset[]) : null;
}

/** The first root whose QIDO-RS answers: readable (200/204) or protected (401/403). */
export async function findDicomWebRoot(
  client: HttpClient,
  headers: Record<string, string>,
): Promise<{ root: string; status: number } | null> {
  for (const root of DICOMWEB_ROOTS) {
    const r = await client.get(`${root}/studies?limit=1`, { ...DICOM_JSON, ...headers }, 1024 * 1024);
    if (!r.ok) continue;
    if ((r.status === 200 && datasets(r.body) !== null) || r.status === 204) return { root, status: r.status };
    if ((r.status === 401 || r.status === 403) && !/text\/html/.test(r.headers['content-type'] ?? ''))
      return { root, status: r.status };
  }
  return null;
}

export async function qidoExposure(
  client: HttpClient,
  root: string,
  headers: Record<string, string>,
  bounds: CountBounds,
): Promise<ExposureObservation> {
  const started = performance.now();
  const studies = new Set<string>();
  const patients = new Set<string>();
  const phi = new Set<string>();
  let series = 0;
  let instances = 0;
  let linked = 0;
  let queries = 0;
  let canned = 0;
  let incomplete: string | null = null;
  const include = [...new Set([...Object.values(TAGS), ...PHI_TAGS.values()])].join(',');
  const over = () =>
    queries >= bounds.maxQueries
      ? `stopped at --max-queries ${bounds.maxQueries}`
      : performance.now() - started > bounds.budgetMs
        ? `stopped at the ${bounds.budgetMs} ms count budget`
        : null;
  for (let offset = 0; ; ) {
    incomplete = over();
    if (incomplete !== null) break;
    queries++;
    const r = await client.get(`${root}/studies?limit=${PAGE}&offset=${offset}&includefield=${include}`, {
      ...DICOM_JSON,
      ...headers,
    });
    const page = r.ok && (r.status === 200 || r.status === 204) ? datasets(r.body) : null;
    if (page === null) {
      incomplete = `QIDO-RS page at offset ${offset} failed`;
      break;
    }
    if (page.length === 0) break;
    offset += page.length; // a server that shortens pages is simply paged further
    for (const ds of page) {
      for (const k of PHI_ATTRIBUTES) if (asText(ds[PHI_TAGS.get(k) ?? '']?.Value?.[0]) !== '') phi.add(k);
      const uid = text(ds, 'StudyInstanceUID');
      const key = keyedDigest('study', uid);
      if (uid === '' || studies.has(key)) continue;
      studies.add(key);
      if (isCanned(uid, text(ds, 'PatientID'))) canned++;
      patients.add(
        patientKey(
          text(ds, 'PatientID'),
          text(ds, 'IssuerOfPatientID'),
          text(ds, 'PatientName'),
          text(ds, 'PatientBirthDate'),
        ),
      );
      const nSeries = Number(text(ds, 'NumberOfStudyRelatedSeries') || NaN);
      const nInst = Number(text(ds, 'NumberOfStudyRelatedInstances') || NaN);
      if (Number.isFinite(nInst)) linked += nInst;
      if (Number.isFinite(nSeries) && Number.isFinite(nInst)) {
        series += nSeries;
        instances += nInst;
        continue;
      }
      incomplete = over();
      if (incomplete !== null) break;
      queries++;
      const sr = await client.get(
        `${root}/studies/${encodeURIComponent(uid)}/series?includefield=${TAGS.NumberOfSeriesRelatedInstances}`,
        { ...DICOM_JSON, ...headers },
      );
      const list = sr.ok ? datasets(sr.body) : null;
      if (list === null) continue;
      series += list.length;
      for (const s of list) instances += Number(text(s, 'NumberOfSeriesRelatedInstances') || 0);
    }
    if (incomplete !== null) break;
  }
  return {
    patients: patients.size,
    studies: studies.size,
    series,
    instances,
    linkedImages: linked,
    complete: incomplete === null,
    incompleteReason: incomplete,
    capped: false,
    phi: phiInOrder(phi),
    queries,
    splits: [],
    cannedStudies: canned,
    model: 'qido-rs',
  };
}

async function firstUid(
  client: HttpClient,
  path: string,
  headers: Record<string, string>,
  keyword: keyof typeof TAGS,
): Promise<string | null> {
  const r = await client.get(path, { ...DICOM_JSON, ...headers }, 1024 * 1024);
  const list = r.ok && r.status === 200 ? datasets(r.body) : null;
  const uid = list?.[0] !== undefined ? text(list[0], keyword) : '';
  return /^[0-9.]{1,64}$/.test(uid) ? uid : null;
}

/** What wadoRetrieve may send: the study, series and instance asked, WADO-RS, then WADO-URI at each of its paths. */
export const WADO_RETRIEVE = { requests: 3, downloads: 1 + WADO_URI_PATHS } as const;

/**
 * One instance downloaded, its bytes counted and dropped: WADO-RS first (PS3.18 §10.4), and where
 * the front blocks it, WADO-URI with the same UIDs (many older viewers and gateways serve only that).
 * Answers how it worked, or null.
 */
export async function wadoRetrieve(
  client: HttpClient,
  root: string,
  headers: Record<string, string>,
): Promise<'wado-rs' | 'wado-uri' | null> {
  const st = await firstUid(client, `${root}/studies?limit=1`, headers, 'StudyInstanceUID');
  if (st === null) return null;
  const se = await firstUid(client, `${root}/studies/${st}/series?limit=1`, headers, 'SeriesInstanceUID');
  if (se === null) return null;
  const sop = await firstUid(client, `${root}/studies/${st}/series/${se}/instances?limit=1`, headers, 'SOPInstanceUID');
  if (sop === null) return null;
  const rs = await client.drain(`${root}/studies/${st}/series/${se}/instances/${sop}`, {
    accept: 'multipart/related; type="application/dicom"',
    ...headers,
  });
  if ('bytes' in rs && rs.status === 200 && rs.bytes > 132) return 'wado-rs';
  const uids = { studyUID: st, seriesUID: se, objectUID: sop };
  return (await wadoUriObject(client, wadoUriPaths(root), uids, headers)) ? 'wado-uri' : null;
}

/** DICOMweb (QIDO-RS, WADO-RS, and WADO-URI beside it): the first of the usual roots that answers QIDO-RS. */
export const dicomWeb: WebAdapter = {
  name: 'DICOMweb',
  // each usual root; each vendor default (the product's and any product's); a count paged within the budget
  budget: {
    detect: DICOMWEB_ROOTS.length,
    access: Math.max(...DEFAULT_CREDENTIALS.map((c) => defaultsFor(c.product))),
    paged: true,
    retrieve: WADO_RETRIEVE,
  },
  async detect(ctx) {
    const { client, opts } = ctx;
    // a product adapter before this one found the archive's own root already (and counts through it)
    if (ctx.found.some((f) => f.dicomweb !== undefined)) return null;
    const dw = await findDicomWebRoot(client, ctx.headers);
    if (dw === null) return null;
    return {
      api: 'dicomweb',
      dicomweb: dw.root,
      auth: dw.status === 401 || dw.status === 403 ? 'required' : 'none',
      access: () =>
        tryDefaults(ctx.product, async (h) => {
          const r = await client.get(`${dw.root}/studies?limit=1`, { ...DICOM_JSON, ...h }, 1024 * 1024);
          return r.ok && (r.status === 200 || r.status === 204);
        }),
      count: (headers) => qidoExposure(client, dw.root, headers, countBounds(opts)),
      retrieve: (headers) => wadoRetrieve(client, dw.root, headers),
    };
  },
};

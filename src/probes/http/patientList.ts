/**
 * Web pages that list patients: many exposed PACS front ends are neither Orthanc nor DICOMweb but a
 * plain page (or JSON) with a table of patients or studies. A table is recognised by its column
 * headers (or a JSON list by its keys) in English, French, German, Spanish and Italian; the page's
 * own links on the same origin are followed within bounds (pages, bytes, depth; GET only, never a
 * link that reads like a change), and patients and studies are counted from the rows: values are
 * hashed in memory and dropped, only counts and attribute names leave.
 */
import type { ExposureObservation } from '../types.js';
import { PHI_ATTRIBUTES, keyedDigest, phiInOrder } from '../phi.js';
import type { WebAdapter, WebFound } from './adapter.js';
import { json, type HttpClient } from './client.js';

/** Column headers and JSON keys (lower case, accents kept) → the DICOM attribute they hold. */
const COLUMNS: ReadonlyArray<[RegExp, string]> = [
  [
    /^(patient(en)?[\s_-]?name|name|nom( du patient)?|nom patient|nombre( del paciente)?|nome( paziente)?|cognome|paciente|patient)$/,
    'PatientName',
  ],
  [
    /^(patient[\s_-]?id|pid|mrn|id patient|n° patient|patienten[\s_-]?id|identificador|id paziente|nhc|ipp)$/,
    'PatientID',
  ],
  [
    /^(birth[\s_-]?date|date of birth|dob|patient[\s_-]?birth[\s_-]?date|date de naissance|geburtsdatum|fecha de nacimiento|data di nascita)$/,
    'PatientBirthDate',
  ],
  [/^(sex|gender|sexe|geschlecht|sexo|sesso|patient[\s_-]?sex)$/, 'PatientSex'],
  [
    /^(accession|accession[\s_-]?(number|no|nr)|n° d'examen|numéro d'examen|auftragsnummer|número de acceso|numero di accesso)$/,
    'AccessionNumber',
  ],
  [
    /^(study[\s_-]?date|date( de l'examen| d'étude)?|untersuchungsdatum|studiendatum|datum|fecha( del estudio)?|data( dello studio)?)$/,
    'StudyDate',
  ],
  [/^(study[\s_-]?(uid|instance[\s_-]?uid)|studyinstanceuid)$/, 'StudyInstanceUID'],
  [
    /^(referring[\s_-]?physician|médecin( prescripteur)?|überweiser|médico remitente|medico richiedente)$/,
    'ReferringPhysicianName',
  ],
];
const IDENTIFYING = new Set(['PatientName', 'PatientID', 'PatientBirthDate', 'AccessionNumber']);

export interface ListingBounds {
  maxPages: number;
  maxBytes: number;
  maxDepth: number;
  budgetMs: number;
}

export const DEFAULT_LISTING_BOUNDS: ListingBounds = {
  maxPages: 20,
  maxBytes: 8 * 1024 * 1024,
  maxDepth: 2,
  budgetMs: 60_000,
};

function attributeOf(header: string): string | null {
  const h = header.trim().toLowerCase().replace(/\s+/g, ' ').replace(/[:*]$/, '');
  return COLUMNS.find(([re]) => re.test(h))?.[1] ?? null;
}

const text = (html: string): string =>
  html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();

/** Rows of every table whose header row names identifying columns: attribute → cell text. */
function htmlRows(html: string): { columns: string[]; rows: Array<Record<string, string>> } {
  const columns = new Set<string>();
  const rows: Array<Record<string, string>> = [];
  for (const table of html.match(/<table[\s\S]*?<\/table>/gi) ?? []) {
    const trs = table.match(/<tr[\s\S]*?<\/tr>/gi) ?? [];
    const cells = (tr: string) => (tr.match(/<t[hd][^>]*>[\s\S]*?<\/t[hd]>/gi) ?? []).map(text);
    const header = trs[0] === undefined ? [] : cells(trs[0]).map(attributeOf);
    if (header.filter((a) => a !== null && IDENTIFYING.has(a)).length < 2 && !header.includes('PatientName')) continue;
    if (header.filter((a) => a !== null).length < 2) continue;
    for (const a of header) if (a !== null) columns.add(a);
    for (const tr of trs.slice(1)) {
      const row: Record<string, string> = {};
      cells(tr).forEach((v, i) => {
        const a = header[i];
        if (a !== null && a !== undefined) row[a] = v;
      });
      if (Object.values(row).some((v) => v !== '')) rows.push(row);
    }
  }
  return { columns: [...columns], rows };
}

/** Objects of a JSON list (top level or under one key) whose keys name identifying attributes. */
function jsonRows(body: unknown): { columns: string[]; rows: Array<Record<string, string>> } {
  const list = Array.isArray(body)
    ? body
    : typeof body === 'object' && body !== null
      ? Object.values(body).find(Array.isArray)
      : undefined;
  const out = { columns: [] as string[], rows: [] as Array<Record<string, string>> };
  if (!Array.isArray(list)) return out;
  const columns = new Set<string>();
  for (const item of list) {
    if (typeof item !== 'object' || item === null) continue;
    const row: Record<string, string> = {};
    for (const [k, v] of Object.entries(item as Record<string, unknown>)) {
      const a = attributeOf(k.replace(/([a-z])([A-Z])/g, '$1 $2'));
      if (a !== null && (typeof v === 'string' || typeof v === 'number')) row[a] = String(v);
    }
    const named = Object.keys(row);
    if (named.filter((a) => IDENTIFYING.has(a)).length < 2 && !named.includes('PatientName')) continue;
    for (const a of named) columns.add(a);
    out.rows.push(row);
  }
  out.columns = [...columns];
  return out;
}

/** Same-origin links a page offers, never one that reads like a change (GET is all we send, but some apps change state on GET). */
function links(html: string, base: string, origin: string): string[] {
  const out: string[] = [];
  for (const m of html.matchAll(/<a\s[^>]*href\s*=\s*["']([^"'#]+)["']/gi)) {
    try {
      const u = new URL((m[1] as string).replace(/&amp;/g, '&'), base);
      if (
        u.origin !== origin ||
        /delete|remove|logout|logoff|signout|drop|purge|edit|update|upload|send|move|action=/i.test(
          u.pathname + u.search,
        )
      )
        continue;
      out.push(u.pathname + u.search);
    } catch {
      // not a URL
    }
  }
  return out;
}

export interface ListingPage {
  status: number;
  contentType: string;
  body: Buffer;
}

/** Is this page (or JSON) a list of patients? Only column names are returned. */
export function listingColumns(page: ListingPage): string[] {
  const { columns } = parse(page);
  return columns;
}

function parse(page: ListingPage): { columns: string[]; rows: Array<Record<string, string>> } {
  if (page.status !== 200) return { columns: [], rows: [] };
  if (/json/i.test(page.contentType)) return jsonRows(json(page.body));
  if (/html|^$/i.test(page.contentType)) return htmlRows(page.body.toString('utf8'));
  return { columns: [], rows: [] };
}

/**
 * Count the patients and studies the listing shows, following the page's links on the same origin
 * within the bounds. Complete only when every link found was followed.
 */
export async function listingExposure(
  client: HttpClient,
  first: ListingPage,
  firstPath: string,
  bounds: ListingBounds = DEFAULT_LISTING_BOUNDS,
): Promise<ExposureObservation | null> {
  const started = performance.now();
  const patients = new Set<string>();
  const studies = new Set<string>();
  const phi = new Set<string>();
  let rowsSeen = 0;
  let pages = 0;
  let bytes = 0;
  let incomplete: string | null = null;
  const queue: Array<{ path: string; depth: number; page: ListingPage | null }> = [
    { path: firstPath, depth: 0, page: first },
  ];
  const visited = new Set<string>([firstPath]);
  while (queue.length > 0) {
    const next = queue.shift() as { path: string; depth: number; page: ListingPage | null };
    if (pages >= bounds.maxPages || bytes >= bounds.maxBytes || performance.now() - started > bounds.budgetMs) {
      incomplete = `stopped after ${pages} pages (${Math.round(bytes / 1024)} KiB) with links left`;
      break;
    }
    let page = next.page;
    if (page === null) {
      const r = await client.get(next.path, { accept: 'text/html, application/json' }, 1024 * 1024);
      if (!r.ok) continue;
      page = { status: r.status, contentType: r.headers['content-type'] ?? '', body: r.body };
    }
    pages++;
    bytes += page.body.length;
    const { columns, rows } = parse(page);
    for (const c of columns) if (PHI_ATTRIBUTES.includes(c)) phi.add(c);
    for (const row of rows) {
      rowsSeen++;
      const p = row['PatientID'] ?? '';
      patients.add(
        keyedDigest('list-patient', p !== '' ? p : `${row['PatientName'] ?? ''}\u0000${row['PatientBirthDate'] ?? ''}`),
      );
      // a row is a study only where the listing has a study column (a plain patient list has none)
      const study =
        row['StudyInstanceUID'] ??
        row['AccessionNumber'] ??
        (row['StudyDate'] !== undefined ? `${p}\u0000${row['PatientName'] ?? ''}\u0000${row['StudyDate']}` : null);
      if (study !== null) studies.add(keyedDigest('list-study', study));
    }
    if (next.depth < bounds.maxDepth && /html/i.test(page.contentType)) {
      for (const l of links(page.body.toString('utf8'), new URL(next.path, client.origin).href, client.origin)) {
        if (visited.has(l)) continue;
        visited.add(l);
        queue.push({ path: l, depth: next.depth + 1, page: null });
      }
    }
  }
  if (rowsSeen === 0) return null;
  return {
    patients: patients.size,
    studies: studies.size,
    series: 0,
    instances: 0,
    linkedImages: 0,
    complete: incomplete === null,
    incompleteReason: incomplete,
    capped: false,
    phi: phiInOrder(phi),
    queries: pages,
    splits: [],
    cannedStudies: 0,
    model: 'html-list',
  };
}

/** A page that speaks of patients or imaging (five languages): worth following its links for a listing. */
const MENTIONS_IMAGING = /patient|pacs|dicom|radiolog|study|studies|étude|studie|estudio|studio|examen|untersuchung/i;

/**
 * Plain pages (or JSON) that list patients or studies: the door the press articles describe. Read
 * only where no imaging API that counts was found; a page that only mentions imaging is followed
 * from --depth count, and is a patient list once a listing is found behind it.
 */
export const patientList: WebAdapter = {
  name: 'patient list',
  async detect({ client, root, opts, found }) {
    if (found.some((f) => f.count !== undefined)) return null;
    const page: ListingPage = { status: root.status, contentType: root.headers['content-type'] ?? '', body: root.body };
    const listed = listingColumns(page).length > 0;
    if (!listed && !MENTIONS_IMAGING.test(root.text)) return null;
    const self: WebFound = {
      api: listed ? 'patient-list' : null,
      auth: root.status === 401 ? 'required' : 'none',
      async count() {
        const exposure = await listingExposure(client, page, '/', {
          ...DEFAULT_LISTING_BOUNDS,
          budgetMs: opts.countBudgetMs,
        });
        if (exposure !== null) self.api = 'patient-list';
        return exposure;
      },
    };
    return self;
  },
};

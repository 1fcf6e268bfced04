/**
 * Web pages that list patients: many exposed PACS front ends are neither Orthanc nor DICOMweb but a
 * plain page (or JSON) with a list of patients or studies. The records a page shows in any layout
 * (pageRecords.ts: tables, definition lists, div grids, JSON, inline script state) are judged by
 * their values and headers (listColumns.ts); what a person would click next (pageLinks.ts: links,
 * frames, GET forms, the JSON endpoints scripts name) is followed on the same origin within bounds
 * (pages, bytes, depth; GET only, never a request that reads like a change), and patients and
 * studies are counted from the rows: values are hashed in memory and dropped, only counts and
 * attribute names leave.
 */
import type { ExposureObservation } from '../types.js';
import { PHI_ATTRIBUTES, keyedDigest, phiInOrder } from '../phi.js';
import type { WebAdapter, WebFound } from './adapter.js';
import { json, type HttpClient } from './client.js';
import { classify, type ListRow } from './listColumns.js';
import { type NextRequest, nextRequests, scriptEndpoints } from './pageLinks.js';
import { htmlSets, jsonSets, type RecordSet, scriptSets } from './pageRecords.js';
import { parseHtml } from './pageTree.js';

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

export interface ListingPage {
  status: number;
  contentType: string;
  body: Buffer;
}

interface ParsedPage {
  columns: string[];
  rows: ListRow[];
  next: NextRequest[];
}

/** The lists a page shows (values in memory only) and what a person would ask next from it. */
export function parse(page: ListingPage, url: string): ParsedPage {
  const out: ParsedPage = { columns: [], rows: [], next: [] };
  if (page.status !== 200) return out;
  let sets: RecordSet[] = [];
  const type = page.contentType;
  const body = page.body.toString('utf8');
  if (/json/i.test(type) || (type === '' && /^\s*[[{]/.test(body))) sets = jsonSets(json(page.body));
  else if (/html|^$/i.test(type)) {
    const tree = parseHtml(body);
    sets = [...htmlSets(tree), ...scriptSets(tree)];
    out.next = nextRequests(tree, url, new URL(url).origin);
  } else return out;
  const columns = new Set<string>();
  for (const s of sets) {
    const v = classify(s);
    if (v === null) continue;
    for (const c of v.columns) columns.add(c);
    for (const r of v.rows) out.rows.push(r);
  }
  out.columns = [...columns];
  return out;
}

interface Pending {
  path: string;
  depth: number;
  kind: NextRequest['kind'];
}

/** Counts patients and studies from rows, by keyed digests in memory. */
class Tally {
  readonly patients = new Set<string>();
  readonly studies = new Set<string>();
  readonly phi = new Set<string>();
  rows = 0;

  add({ columns, rows }: ParsedPage): void {
    for (const c of columns) if (PHI_ATTRIBUTES.includes(c)) this.phi.add(c);
    for (const { values: row, studyUid } of rows) {
      const p = row['PatientID'] ?? '';
      const name = row['PatientName'] ?? '';
      if (
        p === '' &&
        name === '' &&
        studyUid === null &&
        row['StudyInstanceUID'] === undefined &&
        row['AccessionNumber'] === undefined
      )
        continue;
      this.rows++;
      // a row names a patient only where the list has a patient column (a study list may have none)
      if (p !== '' || name !== '')
        this.patients.add(keyedDigest('list-patient', p !== '' ? p : `${name}\u0000${row['PatientBirthDate'] ?? ''}`));
      // a row is a study only where the listing has a study column (a plain patient list has none)
      const study =
        row['StudyInstanceUID'] ??
        studyUid ??
        row['AccessionNumber'] ??
        (row['StudyDate'] !== undefined ? `${p}\u0000${name}\u0000${row['StudyDate']}` : null);
      if (study !== null) this.studies.add(keyedDigest('list-study', study));
    }
  }
}

/**
 * Count the patients and studies the listing shows, following what a person would click on the
 * same origin within the bounds (the requests that speak of lists first). Complete only when every
 * request found was made.
 */
export async function listingExposure(
  client: HttpClient,
  first: ListingPage,
  firstPath: string,
  bounds: ListingBounds = DEFAULT_LISTING_BOUNDS,
  firstParsed: ParsedPage | null = null,
): Promise<ExposureObservation | null> {
  const started = performance.now();
  const tally = new Tally();
  let pages = 0;
  let bytes = first.body.length;
  let incomplete: string | null = null;
  const hot: Pending[] = [];
  const cold: Pending[] = [];
  const visited = new Set<string>([firstPath]);
  const enqueue = (from: Pending, next: readonly NextRequest[]) => {
    if (from.depth >= bounds.maxDepth) return;
    for (const n of next) {
      if (visited.has(n.path)) continue;
      visited.add(n.path);
      // a page's scripts are part of it, not a click further
      const depth = n.kind === 'script' ? from.depth : from.depth + 1;
      (n.hot ? hot : cold).push({ path: n.path, depth, kind: n.kind });
    }
  };
  const base = (path: string) => new URL(path, client.origin).href;
  const parsedRoot = firstParsed ?? parse(first, base(firstPath));
  pages++;
  tally.add(parsedRoot);
  enqueue({ path: firstPath, depth: 0, kind: 'page' }, parsedRoot.next);
  for (let next = hot.shift() ?? cold.shift(); next !== undefined; next = hot.shift() ?? cold.shift()) {
    if (pages >= bounds.maxPages || bytes >= bounds.maxBytes || performance.now() - started > bounds.budgetMs) {
      incomplete = `stopped after ${pages} pages (${Math.round(bytes / 1024)} KiB) with links left`;
      break;
    }
    const r = await client.get(next.path, { accept: 'text/html, application/json, */*;q=0.5' }, 1024 * 1024);
    if (!r.ok) continue;
    pages++;
    bytes += r.body.length;
    if (next.kind === 'script') {
      if (r.status !== 200) continue;
      const found = scriptEndpoints(r.body.toString('utf8'), base(next.path), client.origin);
      enqueue(
        next,
        found.map((path) => ({ path, kind: 'page', hot: true })),
      );
      continue;
    }
    const parsed = parse(
      { status: r.status, contentType: r.headers['content-type'] ?? '', body: r.body },
      base(next.path),
    );
    tally.add(parsed);
    enqueue(next, parsed.next);
  }
  if (tally.rows === 0) return null;
  return {
    patients: tally.patients.size,
    studies: tally.studies.size,
    series: 0,
    instances: 0,
    linkedImages: 0,
    complete: incomplete === null,
    incompleteReason: incomplete,
    capped: false,
    phi: phiInOrder(tally.phi),
    queries: pages,
    splits: [],
    cannedStudies: 0,
    model: 'html-list',
  };
}

/** A page that speaks of patients or imaging (five languages): worth following its links for a listing. */
const MENTIONS_IMAGING =
  /patient|pacien|pazien|pacs|dicom|radiolog|study|studies|étude|studie|estudio|studio|examen|untersuchung|worklist|imaging|imagerie|röntgen|befund|modalit|accession/i;

/**
 * What a list of patients cannot do without, in a plain page's text: a DICOM person name, a date, or a
 * header word of the vocabulary (listColumns.ts). A page with none of these is not parsed at all.
 */
const LOOKS_LISTED =
  /(19|20)\d\d(-?)[01]\d\2[0-3]\d|\d[./][01]?\d[./](19|20)\d\d|birth|dob|geb|naissance|nacimiento|nascita|accession|mrn|gender|sex/i;
const looksListed = (text: string): boolean =>
  (text.includes('^') && /\p{L}\^\p{L}/u.test(text)) || LOOKS_LISTED.test(text);

/**
 * Plain pages (or JSON) that list patients or studies: the door the press articles describe. Read
 * only where no imaging API that counts was found; a page that only mentions imaging is followed
 * from --depth count, and is a patient list once a listing is found behind it.
 */
export const patientList: WebAdapter = {
  name: 'patient list',
  // the root page is read once for every adapter: only the listing's pages, within the count budget
  budget: { detect: 0, paged: true },
  async detect({ client, root, opts, found, product }) {
    if (found.some((f) => f.count !== undefined)) return null;
    const page: ListingPage = { status: root.status, contentType: root.headers['content-type'] ?? '', body: root.body };
    // a page that names an imaging product (fingerprint.ts) or speaks of imaging is read and followed; any
    // other is read only when something on it looks like patient data, and costs no request
    const speaks = product !== null || MENTIONS_IMAGING.test(root.text);
    if (!speaks && !looksListed(root.text)) return null;
    const parsed = parse(page, `${client.origin}/`);
    const listed = parsed.columns.length > 0;
    if (!listed && !speaks) return null;
    const self: WebFound = {
      api: listed ? 'patient-list' : null,
      auth: root.status === 401 ? 'required' : 'none',
      async count() {
        const bounds = { ...DEFAULT_LISTING_BOUNDS, budgetMs: opts.countBudgetMs };
        const exposure = await listingExposure(client, page, '/', bounds, parsed);
        if (exposure !== null) self.api = 'patient-list';
        return exposure;
      },
    };
    return self;
  },
};

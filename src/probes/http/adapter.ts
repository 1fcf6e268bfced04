/**
 * The one small interface every web product or imaging API implements (as zgrab2's modules do):
 * `detect` says whether it is here and what it tells of itself; what it found can then `access`
 * (a vendor default that opens it), `count` (what a stranger reads) and `retrieve` (one object
 * downloaded and dropped). The adapters are registered in one ordered list (adapters.ts); the HTTP
 * probe (probe.ts) walks it and knows no product.
 */
import type { ExposureObservation, ProbeSettings, RetrieveVia } from '../types.js';
import { basicAuth, type HttpClient } from './client.js';
import { DEFAULT_CREDENTIALS } from './fingerprint.js';

/** The API names an adapter records in `http.api` (JSON Lines contract: strings, extended freely). */
export type WebApi = 'orthanc' | 'dcm4chee-arc' | 'dicomweb' | 'patient-list' | 'wado-uri';

export type Credentials = Record<string, string>;

/** What every adapter is handed: one per web service, built once by the HTTP probe. */
export interface WebContext {
  readonly client: HttpClient;
  /** The answer to `GET /`, read once for every adapter. */
  readonly root: { status: number; headers: Record<string, string>; body: Buffer; text: string };
  readonly opts: ProbeSettings;
  /** The product the page itself names (fingerprint.ts), or an earlier adapter's. */
  product: string | null;
  /** Credentials an earlier adapter found open the door (a vendor default); empty when none were needed. */
  headers: Credentials;
  /** What the adapters before this one in the list found. */
  readonly found: readonly WebFound[];
}

/** What an adapter found: the facts it read, and what can be done with it from deeper depths. */
export interface WebFound {
  /** null: not known to be this API until `count` finds something (a page that only mentions patients). */
  api: WebApi | null;
  /** 'default-credentials' once a vendor default opened it (set by the probe after `access`). */
  auth: 'none' | 'required' | 'default-credentials';
  product?: string;
  version?: string | null;
  /** Called AE titles the service tells (tried on the host's DICOM ports), and where they were read. */
  aeTitles?: string[];
  aeSource?: string;
  /** The DICOMweb root that answered QIDO-RS. */
  dicomweb?: string;
  /** Vendor default credentials that open it, or null (tried from --depth access when auth is required). */
  access?: () => Promise<Credentials | null>;
  /** What a stranger reads (from --depth count), or null when nothing could be read. */
  count?: (headers: Credentials) => Promise<ExposureObservation | null>;
  /** One object downloaded, its bytes counted and dropped (--depth retrieve): how, or null. */
  retrieve?: (headers: Credentials) => Promise<RetrieveVia | null>;
}

/**
 * How many requests an adapter may send, step by step: the HTTP probe's time bound is derived from
 * these (probe.ts httpRequestBudget), so an adapter that asks more says so here, where it asks.
 * A request is bounded by twice the timeout (headers, then body), a download by ten times.
 */
export interface RequestBudget {
  /** Requests `detect` sends. */
  readonly detect: number;
  /** Requests `access` may send (vendor defaults, from --depth access). */
  readonly access?: number;
  /** Requests `count` sends besides paging (from --depth count). */
  readonly count?: number;
  /** `count` pages a listing within --count-budget (and one request in flight when it runs out). */
  readonly paged?: boolean;
  /** What `retrieve` may send (--depth retrieve). */
  readonly retrieve?: { readonly requests: number; readonly downloads: number };
}

export interface WebAdapter {
  /** For debug lines. */
  readonly name: string;
  readonly budget: RequestBudget;
  detect(ctx: WebContext): Promise<WebFound | null>;
}

/** The vendor defaults tryDefaults may try for a product (its own, then any product's). */
export const defaultsFor = (product: string | null): number =>
  DEFAULT_CREDENTIALS.filter((d) => d.product === product || d.product === null).length;

/** The first documented default (for this product, then for any) that `works`, as request headers. */
export async function tryDefaults(
  product: string | null,
  works: (headers: Credentials) => Promise<boolean>,
): Promise<Credentials | null> {
  for (const c of DEFAULT_CREDENTIALS.filter((d) => d.product === product || d.product === null)) {
    const headers = basicAuth(c.user, c.password);
    if (await works(headers)) return headers;
  }
  return null;
}

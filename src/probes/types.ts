/**
 * The one small interface every protocol probe implements, and the observations probes produce.
 * Observations are facts seen on the wire; findings are judged from them elsewhere (src/findings).
 */
import type { Duplex } from 'node:stream';
import type { ConnectFailure, TlsFacts } from '../net/connect.js';
import type { HttpFailure } from './http/client.js';
import type { Logger } from '../util/log.js';

/** A called AE title the host itself told (another of its services), and where it came from. */
export interface AeHint {
  title: string;
  /** e.g. `orthanc-system` (Orthanc's /system DicomAet), `dcm4chee-arc-aets`, `product-default:Orthanc`, `tls-certificate`. */
  source: string;
}

/** How a closed door refused each of three association requests (probes/dicom/closedDoor.ts). */
export interface RejectionProfile {
  /** The answer to the first (made-up called AE) request: `RJ result/source/reason`, `AC`, `abort`, `failed`. */
  calledAe: string;
  /** The answer to protocol version 2. */
  protocolVersion: string;
  /** The answer to an unknown application context name. */
  applicationContext: string;
}

/** What a connect, a TLS handshake or an HTTP exchange reported instead of an answer. */
export interface LowerFailure {
  failure: ConnectFailure | HttpFailure | 'handshake';
  code: string | null;
}

export type Transport = 'tcp' | 'tls';
export type Protocol = 'dicom' | 'http' | 'unknown' | 'silent';
export type Depth = 'detect' | 'access' | 'count' | 'retrieve';

export const DEPTHS: readonly Depth[] = ['detect', 'access', 'count', 'retrieve'];

export function depthAtLeast(depth: Depth, min: Depth): boolean {
  return DEPTHS.indexOf(depth) >= DEPTHS.indexOf(min);
}

/** Opens a fresh connection to the service (TCP, or TLS inside it), or says why it could not. */
export type Dialer = () => Promise<{ ok: true; socket: Duplex } | ({ ok: false } & LowerFailure)>;

/**
 * What every probe is handed: the scan's settings for probing (timeouts, depth, AE titles, count
 * bounds), its logger and its connection rate limiter, and what the host's other ports told.
 * Built once per host by probeContext() (context.ts); the probes read it, never repack it.
 * Cancellation is the host's scope (net/hostScope.ts: the deadline closes the host's connections).
 */
export interface ProbeContext {
  /** Per-phase I/O timeout (connect, each wait for an answer). */
  timeoutMs: number;
  depth: Depth;
  /** Extra called AE titles from --ae-titles, tried before the built-in dictionary. */
  aeTitles: string[];
  /** Called AE titles the host's other services told (tried after the user's, before the dictionary). */
  aeHints?: AeHint[];
  /** Bounds of the exposure count (--max-queries, --count-budget). */
  maxQueries: number;
  countBudgetMs: number;
  log: Logger;
  /** The scan's print key (phi.ts answerPrint): with it, probes note digests of what the host answered, for clusters. */
  printKey?: Buffer;
  /** Waits for the scan's connection rate limiter (--rate): before every new connection. */
  throttle: () => Promise<void>;
  /**
   * opendoor's own sweep saw this port open a moment ago: a refusal now is a server restarting (one
   * association at a time, then a restart), asked again after a pause, and recorded if it stays closed.
   * False for ports a list reported (zmap, masscan): refused there means closed, at the cost of one connect.
   */
  sweptOpen?: boolean;
}

/** The context of a probe that opens no connection itself (a web adapter on the probe's client, a bound). */
export type ProbeSettings = Omit<ProbeContext, 'throttle' | 'sweptOpen'>;

/** The bounds of one exposure count, whatever the protocol (--max-queries, --count-budget). */
export interface CountBounds {
  maxQueries: number;
  /** Wall-clock budget for the whole count, ms. */
  budgetMs: number;
}

export const countBounds = (opts: Pick<ProbeContext, 'maxQueries' | 'countBudgetMs'>): CountBounds => ({
  maxQueries: opts.maxQueries,
  budgetMs: opts.countBudgetMs,
});

/** What an attempt that did not produce a protocol answer ran into (closed set, as in zgrab2). */
export type FailureKind =
  | 'connection-refused'
  | 'io-timeout'
  | 'connection-reset'
  | 'connection-closed'
  | 'protocol-error'
  | 'cap-exceeded'
  | 'tls-error'
  /** the host's hard deadline fired (the watchdog): detail names the step it was in */
  | 'host-deadline'
  /** opendoor's sweep saw the port open, and every probe after was refused */
  | 'closed-after-sweep';

export interface ProbeFailure {
  kind: FailureKind;
  detail: string;
}

export interface Rejection {
  result: number;
  source: number;
  reason: number;
  /** PS3.8 table 9-21 wording, e.g. "called-AE-title-not-recognized". */
  meaning: string;
}

export interface AssociationAttempt {
  calledAe: string;
  callingAe: string;
  outcome: 'accepted' | 'rejected' | 'aborted' | 'failed';
  rejection: Rejection | null;
  failure: ProbeFailure | null;
}

export interface DicomObservation {
  implementationClassUid: string | null;
  implementationVersionName: string | null;
  maxPduLength: number | null;
  calledAe: string | null;
  /** Where the accepted (or recognised) called AE title came from: made-up, user, a hint's source, dictionary. */
  calledAeSource: string | null;
  /** A called AE title the server recognised while refusing our calling AE title (reason 3). */
  recognisedCalledAe: string | null;
  anyCalledAe: boolean | null;
  anyCallingAe: boolean | null;
  rejection: Rejection | null;
  /** Which AE title the rejections point at, when the evidence tells. */
  rejectedAe: 'called' | 'calling' | 'unknown' | null;
  echo: boolean | null;
  /** C-FIND permitted: a negotiated FIND context, and (from --depth access) a test query answered with Success. */
  find: boolean | null;
  /** Why the test C-FIND failed although its context was accepted (status or abort). */
  findRefusal: string | null;
  /** Query/Retrieve information models whose FIND context was accepted. */
  findModels: string[];
  getAccepted: boolean | null;
  moveAccepted: boolean | null;
  retrieve: boolean | null;
  storageAccepted: boolean | null;
  /** Accepted an abstract syntax that does not exist: behaves like a honeypot. */
  acceptsNonexistentSopClass: boolean | null;
  /** Answers to the C-FIND test's query for a study that cannot exist (null: not tested). */
  phantomMatches: number | null;
  /** How the server refused, behind a closed door (null: the door was open, or --depth detect). */
  rejectionProfile: RejectionProfile | null;
  attempts: AssociationAttempt[];
  /** Digest of the accepted A-ASSOCIATE-AC, every field the codec reads (a protocol fact, not keyed); for clusters. */
  acceptPrint?: string;
}

export interface ServiceObservation {
  host: string;
  port: number;
  transport: Transport;
  protocol: Protocol;
  tls: TlsFacts | null;
  dicom: DicomObservation | null;
  /** Filled by the HTTP probe; null when not HTTP or not probed. */
  http: HttpObservation | null;
  /** What a stranger can read here (--depth count and above); null when not measured. */
  exposure: ExposureObservation | null;
  /** Why the service could not be classified further, when it could not. */
  failure: ProbeFailure | null;
  elapsedMs: number;
}

export type RetrieveVia = 'orthanc-rest' | 'wado-rs' | 'wado-uri';

export interface HttpObservation {
  status: number | null;
  server: string | null;
  auth: 'none' | 'required' | 'default-credentials' | null;
  /** 'orthanc' (Orthanc REST), 'dicomweb' (QIDO/WADO-RS), or null for a web page we only recognised. */
  api: string | null;
  /** The DICOMweb root that answered QIDO-RS, if any. */
  dicomweb: string | null;
  /** The HTML title of `/` (a product name). */
  title: string | null;
  /** An instance was downloaded (and discarded), at --depth retrieve. */
  retrieve: boolean | null;
  /** How: Orthanc's REST file download, WADO-RS (PS3.18 §10.4), or WADO-URI (PS3.18 §9); null when none worked. */
  retrieveVia: RetrieveVia | null;
  /** Called AE titles the web side tells (Orthanc's /system DicomAet): tried on the host's DICOM ports. */
  aeTitles: string[];
  /** Where those titles were read (`orthanc-system`, `dcm4chee-arc-aets`), null when none. */
  aeTitlesFrom: string | null;
  /** The front page's body as a keyed digest (phi.ts answerPrint), when a print key was given; for clusters, never in a record. */
  pagePrint?: string;
}

/** What a stranger can read from one service: counts and attribute names, never values. */
export interface ExposureObservation {
  patients: number;
  studies: number;
  series: number;
  instances: number;
  /** Sum of NumberOfStudyRelatedInstances as the server reports it (Greenbone's "linked images"). */
  linkedImages: number;
  complete: boolean;
  /** Why complete is false: a bound, a cap that could not be split, an error. */
  incompleteReason: string | null;
  capped: boolean;
  phi: string[];
  queries: number;
  /** Studies answered that carry known canned data (public sample roots, a toolkit's sample patient). */
  cannedStudies: number;
  /** The keys a capped answer list was split by, in the order first used (StudyDate, StudyTime, PatientName, …). */
  splits: string[];
  /** Through which interface the count was made. */
  model: 'study-root' | 'patient-root' | 'orthanc-rest' | 'qido-rs' | 'html-list';
  /** The studies and their patients as one keyed digest (phi.ts setPrint), when a print key was given; for clusters. */
  print?: string;
}

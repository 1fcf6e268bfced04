/**
 * The results store, as the rest of opendoor sees it: scans, where each stands, the service
 * records and findings as they arrive, a streamed scan's input journal, and paged reads back. Two
 * backends behind it (SQLite, embedded and the default; PostgreSQL, shared by many machines), both
 * through one SQL store (`sql.ts`), opened by `open.ts`; nothing outside `src/store/` imports a
 * driver or writes SQL. This file is the contract only: types and errors.
 * It holds the same records as the JSON Lines output: protocol facts, counts, attribute names —
 * never a patient value.
 */
import type { Cluster, HostPrints } from '../fingerprint/cluster.js';
import type { ServiceRecord, SummaryRecord } from '../output/records.js';
import type { InputJournal, ResumeState, WorkItem } from '../types/work.js';
import { InputError } from '../util/errors.js';
import type { CampaignStore } from './campaignTypes.js';

export type {
  CampaignRow,
  CampaignServiceRow,
  CampaignStore,
  NewNotice,
  NoticeRow,
  NoticeState,
  RecheckState,
} from './campaignTypes.js';
export { RECHECK_STATES } from './campaignTypes.js';

/** A cursor that this store did not make for this list and sort (or two at once): the client's input, HTTP 400. */
export class CursorError extends InputError {
  override readonly name = 'CursorError';
  constructor(message = 'a cursor from another list or sort, or none of ours: ask the first page again') {
    super(message);
  }
}

/** A scan's state: queued (work waits for workers), running, done, interrupted (resumable). */
export type ScanState = 'queued' | 'running' | 'interrupted' | 'done';

export interface ScanRow {
  id: string;
  started: string;
  finished: string | null;
  status: ScanState;
  args: string;
  targets: number;
  /** Hosts finished so far (all of them once the scan is done). */
  hostsDone: number;
  /** Targets the opt-out list left out so far (not in `targets`). */
  optedOut: number;
  elapsedMs: number;
  services: number;
  exposed: number;
  patients: number;
  studies: number;
  instances: number;
  honeypotServices: number;
  honeypotPatients: number;
  honeypotStudies: number;
}

export interface StoredLine {
  n: number;
  text: string | null;
  done: boolean;
}

/** A slice of a queued scan: the steps [from, to) of its seeded permutation, its state, and the queue's id for it once held. */
export interface SliceRow {
  scanId: string;
  slice: number;
  from: bigint;
  to: bigint;
  state: 'queued' | 'running' | 'done';
  queueId: string | null;
}

/** The slices of queued scans (`scan --enqueue`, `worker`): see jobs.ts. */
export interface SliceStore {
  add(scanId: string, slices: ReadonlyArray<{ from: bigint; to: bigint }>): Promise<void>;
  /** These slices of a scan, in slice order. */
  get(scanId: string, slices: readonly number[]): Promise<SliceRow[]>;
  /** A worker takes these slices (one transaction). */
  hold(scanId: string, slices: ReadonlyArray<{ slice: number; queueId: string }>, worker: string): Promise<void>;
  beat(worker: string): Promise<void>;
  /** Slices done, each with its hosts; the last one also finishes its scan, in the same transaction. Answers how many are left. */
  done(
    scanId: string,
    slices: ReadonlyArray<{ slice: number; hostsDone: number; optedOut: number }>,
    scan: { targets: number; elapsedMs: number },
  ): Promise<number>;
  release(scanId: string, slices: readonly number[], worker: string): Promise<void>;
  releaseStale(before: number): Promise<SliceRow[]>;
  open(): Promise<number>;
  completeScan(id: string, targets: number, elapsedMs: number): Promise<void>;
}

export type Role = 'admin' | 'viewer';
export const ROLES: readonly Role[] = ['admin', 'viewer'];

export interface UserRow {
  name: string;
  role: Role;
  /** The password's scrypt hash (serve/passwords.ts), never the password. */
  password: string;
  created: string;
}

/** The dashboard's accounts (accounts.ts). Sessions and tokens are kept by the SHA-256 of their secret. */
export interface AccountStore {
  /** Add a user, or set the role and password of one (then every session of theirs ends). */
  putUser(name: string, role: Role, passwordHash: string): Promise<'added' | 'updated'>;
  user(name: string): Promise<UserRow | null>;
  /** How many users there are (none: nobody can sign in to the dashboard). */
  userCount(): Promise<number>;
  addToken(idHash: string, userName: string): Promise<void>;
  userByToken(idHash: string): Promise<UserRow | null>;
  /** A session's data while it has not expired (ms since the epoch). */
  session(idHash: string): Promise<string | null>;
  putSession(idHash: string, userName: string, data: string, expires: number): Promise<void>;
  endSession(idHash: string): Promise<void>;
  /** The key that signs session cookies: made once (by `make`), then the same for every serve process on this store. */
  cookieKey(make: () => string): Promise<string>;
}

/** What the overview breaks a scan down by: [key, count] pairs. */
export interface Tallies {
  bySeverity: Array<[string, number]>;
  byProduct: Array<[string, number]>;
  byPort: Array<[string, number]>;
  /** Exposed services by their host's country (targets/country.ts: "local", "unknown" or a code). */
  byCountry: Array<[string, number]>;
  /** Exposed services by network ("AS64500 Name", or "unknown"). */
  byNetwork: Array<[string, number]>;
  /** Patients by network, each host counted once. */
  byNetworkPatients: Array<[string, number]>;
}

export const SERVICE_SORTS = ['host', 'port', 'product', 'patients', 'studies'] as const;

/** Where a page is by cursor (at most one of them), instead of an offset. */
export interface Cursor {
  /** The page after this cursor (a page's `next`, made for the same list and sort). */
  after?: string;
  /** The page before this cursor (a page's `prev`, made for the same list and sort). */
  before?: string;
}

/** A page and the cursors of the pages beside it (null: none that way). */
export interface Page<T> {
  items: T[];
  total: number;
  next: string | null;
  prev: string | null;
}

/** What a page of services may be narrowed to and sorted by (the dashboard's table), and where it is by cursor. */
export interface ServiceFilter extends Cursor {
  exposed?: boolean;
  protocol?: string;
  product?: string;
  port?: number;
  /** Hosts that start with this. */
  host?: string;
  sort?: (typeof SERVICE_SORTS)[number];
  desc?: boolean;
}

/** What a monitor runs: a scan's scope (targets, and ports and depth as the user spelled them), or a campaign's recheck. */
export type MonitorScope = { targets: string[]; ports?: string; depth?: string } | { campaign: string };

export interface MonitorRow {
  name: string;
  /** What it runs (kept as JSON, read back checked). */
  request: MonitorScope;
  /** A cron expression, in `timezone` (IANA). */
  schedule: string;
  timezone: string;
  webhook: string | null;
  /** The webhook's HMAC key. */
  secret: string | null;
  /** Addresses the alert mail goes to (none: no mail). */
  email: string[];
  created: string;
  /** The scan of the run in progress. */
  running: string | null;
  /** The scan of the last finished run: the next run is compared with it. */
  lastScan: string | null;
}

export interface AlertRow {
  id: string;
  monitor: string;
  scanId: string;
  previousScanId: string;
  /** The webhook's body (the contract's alert JSON). */
  payload: string;
  created: string;
  delivered: string | null;
  attempts: number;
  lastError: string | null;
  /** When the alert mail went out; the server's reply when it failed. */
  mailed: string | null;
  mailError: string | null;
}

/** Monitors, their alerts and the webhook deliveries (monitors.ts). */
export interface MonitorStore {
  put(m: Omit<MonitorRow, 'created' | 'running' | 'lastScan'>): Promise<'added' | 'updated'>;
  list(): Promise<MonitorRow[]>;
  get(name: string): Promise<MonitorRow | null>;
  /** Take the monitor's next run for this scan id: false while another run of it is in progress (anywhere). */
  claim(name: string, scanId: string): Promise<boolean>;
  /** The run is over; a finished one becomes the one the next run is compared with. */
  release(name: string, scanId: string, finished: boolean): Promise<void>;
  addAlert(a: Omit<AlertRow, 'delivered' | 'attempts' | 'lastError' | 'mailed' | 'mailError'>): Promise<void>;
  alerts(limit: number, offset: number): Promise<{ items: AlertRow[]; total: number }>;
  /** Alerts of monitors with a webhook that it has not taken yet, fewer than `attempts` made (metrics). */
  pendingAlerts(attempts: number): Promise<number>;
  delivery(id: string, attempts: number, error: string | null): Promise<void>;
  /** The alert mail's outcome: null when it went out, else the server's reply. */
  mailed(id: string, error: string | null): Promise<void>;
}

export const NOTE_STATES = ['open', 'acknowledged', 'accepted-risk'] as const;
export type NoteState = (typeof NOTE_STATES)[number];

/** A person's word on a finding of a host and port: it outlives rescans (keyed on host, port, finding). */
export interface NoteRow {
  host: string;
  port: number;
  finding: string;
  state: NoteState;
  note: string;
  by: string;
  updated: string;
}

export interface NoteStore {
  put(n: Omit<NoteRow, 'updated'>): Promise<void>;
  /** The notes on these hosts' findings. */
  forHosts(hosts: readonly string[]): Promise<NoteRow[]>;
}

/** A registry's answer about a network, as the store keeps it (attribution/rdap.ts): its range and abuse addresses. */
export interface RdapNetworkRow {
  family: 4 | 6;
  first: bigint;
  last: bigint;
  abuse: string[];
  /** When it was asked (ms since the epoch). */
  fetched: number;
}

/** RDAP answers kept across runs (rdapCache.ts). */
export interface RdapCacheStore {
  /** The most specific network kept that covers the address, asked at or after `notBefore`. */
  find(family: 4 | 6, address: bigint, notBefore: number): Promise<RdapNetworkRow | null>;
  put(row: RdapNetworkRow): Promise<void>;
}

/** One scope of the standing opt-out list: its one spelling (targets/optout.ts canonicalScope), why, who added it, when. */
export interface OptOutRow {
  scope: string;
  reason: string;
  by: string;
  created: string;
}

/** The standing opt-out list (optouts.ts): scopes no scan touches. */
export interface OptOutStore {
  /** Add a scope, or give one already there a new reason. */
  add(scope: string, reason: string, by: string): Promise<'added' | 'updated'>;
  list(): Promise<OptOutRow[]>;
  /** False when the scope was not on the list. */
  remove(scope: string): Promise<boolean>;
}

/** A scan's clusters (clusters.ts): its print key and hosts' prints while it runs, then the clusters judged from them. */
export interface ClusterStore {
  /** The scan's print key: made once (by `make`), the same for every worker of the scan, until `judged` erases it. */
  printKey(scanId: string, make: () => string): Promise<string>;
  /** Every host's prints, as written with its records. */
  prints(scanId: string): Promise<Array<{ host: string; prints: HostPrints }>>;
  /** Keep the scan's clusters and erase its prints and print key, in one transaction. */
  judged(scanId: string, clusters: readonly Cluster[]): Promise<void>;
  /** The clusters judged, largest first. */
  list(scanId: string): Promise<Cluster[]>;
}

export interface Store {
  /** What it is, for messages: a file path, or a PostgreSQL URL without its password. */
  readonly where: string;
  /** Where a work queue for workers lives (`scan --enqueue`, `worker`, the dashboard's scans): PostgreSQL's; none on SQLite. */
  readonly queue: QueueHome | null;
  beginScan(id: string, args: unknown, status?: ScanState): Promise<void>;
  scan(id: string): Promise<ScanRow | null>;
  listScans(): Promise<ScanRow[]>;
  latestScanId(): Promise<string | null>;
  setStatus(id: string, status: ScanState): Promise<void>;
  finishScan(id: string, status: 'interrupted' | 'done', targets: number, elapsedMs: number): Promise<void>;
  /** Where the scan stands (one row, however many hosts are done). */
  saveProgress(scanId: string, state: ResumeState): Promise<void>;
  progress(scanId: string): Promise<ResumeState>;
  /**
   * One host's records with the progress that counts it done, in one transaction: a kill never
   * leaves half a host. Written again (a job run twice), they replace what was there: keyed on
   * scan, host and port, findings likewise, so totals never double.
   */
  recordHost(
    scanId: string,
    records: readonly ServiceRecord[],
    state: ResumeState | null,
    prints?: { host: string; prints: HostPrints },
  ): Promise<void>;
  /** Copy records into a scan (merge); returns how many. */
  addServices(scanId: string, records: AsyncIterable<ServiceRecord>): Promise<number>;
  /** Service records of a scan in host/port order, read a page at a time. */
  services(scanId: string): AsyncGenerator<ServiceRecord>;
  /**
   * One page of them (the API's lists), filtered and sorted as asked, with how many match in all
   * and the cursors of the pages after it (null: the last page) and before it (null: the first);
   * a CursorError for a cursor not made for this sort, or `after` and `before` together.
   */
  servicesPage(scanId: string, limit: number, offset: number, filter?: ServiceFilter): Promise<Page<ServiceRecord>>;
  /** Every record of a host across scans, the newest scan first: a page from `offset`, or by cursor (`at`). */
  hostRecords(
    host: string,
    limit: number,
    offset: number,
    at?: Cursor,
  ): Promise<Page<{ scanId: string; started: string; record: ServiceRecord }>>;
  summary(scanId: string): Promise<SummaryRecord>;
  /** The overview's breakdown, from the scan's tallies: findings by severity; exposed services (honeypots' left out) by product, port, country and network. */
  tallies(scanId: string): Promise<Tallies>;
  /** The journal of a streamed scan's input (lines as read, items as expanded). */
  journal(scanId: string): Promise<InputJournal>;
  inputLines(scanId: string): Promise<StoredLine[]>;
  inputCount(scanId: string): Promise<number>;
  /** Streamed work items stored so far (--resume of a `-iL -` scan): the pending ones, then arrival order from `from.step`. */
  inputs(scanId: string, from: ResumeState): AsyncGenerator<WorkItem>;
  readonly slices: SliceStore;
  readonly accounts: AccountStore;
  readonly monitors: MonitorStore;
  readonly notes: NoteStore;
  readonly rdap: RdapCacheStore;
  readonly optouts: OptOutStore;
  readonly clusters: ClusterStore;
  readonly campaigns: CampaignStore;
  close(): Promise<void>;
}

/** The store could not be opened or used (unreachable server, newer schema): one line, exit 1. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
}

/** A database file the user named that is not there or is no database: their input, exit 2. */
export class DatabaseFileError extends InputError {
  override readonly name = 'DatabaseFileError';
}

export interface OpenOptions {
  /** Readers (scans, report, diff, letters, merge's inputs): a SQLite file must exist already. */
  readOnly?: boolean;
  /**
   * What needs the work queue (`--enqueue`, `worker`): a store that cannot hold one is refused
   * before anything is opened (NoQueueError, naming it).
   */
  queueFor?: string;
  /**
   * Connections for reads beside the writer's (serve: its pages and API answer while a scan in its
   * process, or a worker, writes). A read then sees every committed write without waiting in the
   * line behind transactions; it no longer sees a write issued but not yet settled. PostgreSQL: a
   * pool of up to this many read-only connections, opened when needed; SQLite: one read-only
   * connection to the WAL file. 0 (the default): every operation in one line on one connection.
   */
  readers?: number;
}

/** Where the work queue lives, on a store that can hold one: pg-boss in the same PostgreSQL database. */
export interface QueueHome {
  /** The database's URL, password and all (pg-boss connects to it). */
  readonly url: string;
}

/** A store that holds the work queue. */
export type QueueStore = Store & { readonly queue: QueueHome };

/** The work queue asked of a store that cannot hold one (SQLite): the user's input, exit 2. */
export class NoQueueError extends InputError {
  override readonly name = 'NoQueueError';
}

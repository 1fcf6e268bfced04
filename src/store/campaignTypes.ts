/** The store's notification campaigns as the rest of opendoor sees them (kept by campaigns.ts). */
/** A notification campaign (campaigns.ts): the scan it started from and the depth its rechecks probe at. */
export interface CampaignRow {
  name: string;
  depth: string;
  scanId: string;
  created: string;
}

export type NoticeState = 'pending' | 'sent' | 'failed';

/** One notice: one contact, its ticket, how its delivery went (the server's reply when it failed). */
export interface NoticeRow {
  ticket: string;
  campaign: string;
  contact: string;
  scanId: string;
  created: string;
  state: NoticeState;
  error: string | null;
  /** When it went out. */
  sent: string | null;
}

export const RECHECK_STATES = ['open', 'partly-closed', 'closed', 'changed'] as const;
export type RecheckState = (typeof RECHECK_STATES)[number];

/** A notified service: its record as notified, its network, and what the last recheck found. */
export interface CampaignServiceRow {
  campaign: string;
  host: string;
  port: number;
  ticket: string;
  asn: number | null;
  asName: string | null;
  cc: string | null;
  /** The service record as it was notified (JSON). */
  record: string;
  state: RecheckState | null;
  checked: string | null;
  /** When a recheck first found it closed (null while it is not). */
  closed: string | null;
}

/** A new notice: its contact and what it notifies (each service with the findings it names). */
export interface NewNotice {
  campaign: string;
  contact: string;
  scanId: string;
  services: ReadonlyArray<{
    host: string;
    port: number;
    findings: readonly string[];
    asn: number | null;
    asName: string | null;
    cc: string | null;
    record: string;
  }>;
}

/** Notification campaigns (campaigns.ts). */
export interface CampaignStore {
  /** The campaign, made from this scan and depth when it is new. */
  ensure(name: string, depth: string, scanId: string): Promise<CampaignRow>;
  get(name: string): Promise<CampaignRow | null>;
  list(): Promise<CampaignRow[]>;
  /** "host port finding" of everything a sent notice of the campaign carried. */
  notified(campaign: string): Promise<Set<string>>;
  /** The tickets the next notices of this day would get (`OD-YYYYMMDD-NNNN`), without taking them. */
  nextTickets(day: Date, n: number): Promise<string[]>;
  /** Store a notice (pending) and what it notifies; answers its ticket, unique in the store. */
  addNotice(n: NewNotice, day: Date): Promise<string>;
  setNoticeState(ticket: string, state: NoticeState, error: string | null): Promise<void>;
  notices(campaign: string): Promise<NoticeRow[]>;
  services(campaign: string): Promise<CampaignServiceRow[]>;
  /** What a recheck found for a service. */
  recheck(campaign: string, host: string, port: number, state: RecheckState, at: string): Promise<void>;
}

/**
 * The one schema of both backends, as versioned migrations: a database records the version it is
 * at, opening an older one runs the steps after it (in one transaction), opening a newer one is an
 * error. The SQL is the subset SQLite and PostgreSQL share; `INTEGER` becomes `BIGINT` on PostgreSQL
 * (counts and ordinals of internet-scale scans), and a step may say a thing once per dialect.
 */
export type Dialect = 'sqlite' | 'postgres';

interface Migration {
  version: number;
  why: string;
  sql: string | Record<Dialect, string>;
}

/** Version 14's tables and indexes, the same in both dialects (only the generated column differs). */
const TALLIES_AND_SORT_INDEXES = `CREATE TABLE IF NOT EXISTS findings (
  scan_id TEXT NOT NULL, host TEXT NOT NULL, port INTEGER NOT NULL, finding TEXT NOT NULL,
  severity TEXT NOT NULL, PRIMARY KEY (scan_id, host, port, finding));
CREATE TABLE IF NOT EXISTS scan_tallies (
  scan_id TEXT NOT NULL, kind TEXT NOT NULL, k TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (scan_id, kind, k));
CREATE INDEX IF NOT EXISTS services_by_port ON services (scan_id, port, host);
CREATE INDEX IF NOT EXISTS services_by_product ON services (scan_id, product_key, host, port);
CREATE INDEX IF NOT EXISTS services_by_patients ON services (scan_id, patients, host, port);
CREATE INDEX IF NOT EXISTS services_by_studies ON services (scan_id, studies, host, port);`;

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    why: 'scans, where each stands, service records, findings, the input journal of streamed scans',
    sql: `
CREATE TABLE IF NOT EXISTS scans (
  id TEXT PRIMARY KEY, started TEXT NOT NULL, finished TEXT, status TEXT NOT NULL,
  args TEXT NOT NULL, targets INTEGER NOT NULL DEFAULT 0, elapsed_ms INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS progress (
  scan_id TEXT PRIMARY KEY, step TEXT NOT NULL DEFAULT '0', pending TEXT NOT NULL DEFAULT '[]',
  hosts_done INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS services (
  scan_id TEXT NOT NULL, host TEXT NOT NULL, port INTEGER NOT NULL, protocol TEXT NOT NULL,
  product TEXT, exposed INTEGER NOT NULL, patients INTEGER NOT NULL DEFAULT 0,
  studies INTEGER NOT NULL DEFAULT 0, instances INTEGER NOT NULL DEFAULT 0, record TEXT NOT NULL,
  PRIMARY KEY (scan_id, host, port));
CREATE TABLE IF NOT EXISTS findings (
  scan_id TEXT NOT NULL, host TEXT NOT NULL, port INTEGER NOT NULL, finding TEXT NOT NULL,
  severity TEXT NOT NULL, PRIMARY KEY (scan_id, host, port, finding));
CREATE TABLE IF NOT EXISTS inputs (
  scan_id TEXT NOT NULL, idx INTEGER NOT NULL, host TEXT NOT NULL, ports TEXT NOT NULL,
  open INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (scan_id, idx), UNIQUE (scan_id, host, ports));
CREATE TABLE IF NOT EXISTS input_lines (
  scan_id TEXT NOT NULL, n INTEGER NOT NULL, text TEXT, done INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (scan_id, n));`,
  },
  {
    version: 2,
    why: "a suspected honeypot's flag in a column (totals leave its bait out without reading the JSON), its counts kept",
    sql: {
      sqlite: `
ALTER TABLE services ADD COLUMN honeypot INTEGER NOT NULL DEFAULT 0;
UPDATE services SET honeypot = 1,
  patients = COALESCE(json_extract(record, '$.exposure.patients'), 0),
  studies = COALESCE(json_extract(record, '$.exposure.studies'), 0),
  instances = COALESCE(json_extract(record, '$.exposure.instances'), 0)
  WHERE json_extract(record, '$.honeypot.suspect') = 1;`,
      postgres: `
ALTER TABLE services ADD COLUMN honeypot INTEGER NOT NULL DEFAULT 0;
UPDATE services SET honeypot = 1,
  patients = COALESCE((record::jsonb #>> '{exposure,patients}')::bigint, 0),
  studies = COALESCE((record::jsonb #>> '{exposure,studies}')::bigint, 0),
  instances = COALESCE((record::jsonb #>> '{exposure,instances}')::bigint, 0)
  WHERE record::jsonb #>> '{honeypot,suspect}' = 'true';`,
    },
  },
  {
    version: 3,
    why: 'slices of queued scans: who holds each, its heartbeat, the hosts it has finished',
    sql: `
CREATE TABLE IF NOT EXISTS jobs (
  scan_id TEXT NOT NULL, slice INTEGER NOT NULL, step_from TEXT NOT NULL, step_to TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'queued', worker TEXT, queue_id TEXT, beat INTEGER NOT NULL DEFAULT 0,
  hosts_done INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (scan_id, slice));`,
  },
  {
    version: 4,
    why: "hosts in byte order on both backends (SQLite's; a PostgreSQL made under en_US.UTF-8 would put '::1' before '10.0.0.1')",
    sql: {
      sqlite: 'SELECT 1;',
      postgres: `
ALTER TABLE services ALTER COLUMN host TYPE TEXT COLLATE "C";
ALTER TABLE findings ALTER COLUMN host TYPE TEXT COLLATE "C";
ALTER TABLE inputs ALTER COLUMN host TYPE TEXT COLLATE "C";`,
    },
  },
  {
    version: 5,
    why: "the dashboard's accounts: users (scrypt hashes), server-side sessions and API tokens (SHA-256 of each); a host's records across scans by index",
    sql: `
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY, role TEXT NOT NULL, password TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY, user_name TEXT NOT NULL, data TEXT NOT NULL, expires INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
  id TEXT PRIMARY KEY, user_name TEXT NOT NULL, created TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS services_by_host ON services (host, scan_id);`,
  },
  {
    version: 6,
    why: 'monitors (a scope rescanned on a schedule), their alerts and webhook deliveries, notes on findings that outlive rescans',
    sql: `
CREATE TABLE IF NOT EXISTS monitors (
  name TEXT PRIMARY KEY, request TEXT NOT NULL, schedule TEXT NOT NULL, timezone TEXT NOT NULL,
  webhook TEXT, secret TEXT, created TEXT NOT NULL, running TEXT, last_scan TEXT);
CREATE TABLE IF NOT EXISTS alerts (
  id TEXT PRIMARY KEY, monitor TEXT NOT NULL, scan_id TEXT NOT NULL, previous_scan_id TEXT NOT NULL,
  payload TEXT NOT NULL, created TEXT NOT NULL, delivered TEXT, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT);
CREATE TABLE IF NOT EXISTS notes (
  host TEXT NOT NULL, port INTEGER NOT NULL, finding TEXT NOT NULL, state TEXT NOT NULL, note TEXT NOT NULL,
  by_user TEXT NOT NULL, updated TEXT NOT NULL, PRIMARY KEY (host, port, finding));`,
  },
  {
    version: 7,
    why: "every column a scan's totals and the dashboard's filters and sorts read, in one index: they no longer read the records (100,000 services: totals 130 → 60 ms, a sorted page 142 → 15 ms)",
    sql: `
CREATE INDEX IF NOT EXISTS services_columns ON services
  (scan_id, host, port, exposed, honeypot, protocol, product, patients, studies, instances);`,
  },
  {
    version: 8,
    why: "settings kept in the database: the dashboard's cookie-signing key (sign-ins outlive a restart; serve processes on one store share them)",
    sql: `
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  },
  {
    version: 9,
    why: "RDAP answers kept per network (its range as fixed-width hex, compared in byte order), so a rerun asks the registries nothing until they age out (--rdap-ttl); each service's AS in columns, for the overview's breakdown by network",
    sql: {
      sqlite: `
ALTER TABLE services ADD COLUMN asn INTEGER;
ALTER TABLE services ADD COLUMN as_name TEXT;
CREATE TABLE IF NOT EXISTS rdap_networks (
  family INTEGER NOT NULL, first TEXT NOT NULL, last TEXT NOT NULL, abuse TEXT NOT NULL,
  fetched INTEGER NOT NULL, PRIMARY KEY (family, first, last));`,
      postgres: `
ALTER TABLE services ADD COLUMN asn INTEGER;
ALTER TABLE services ADD COLUMN as_name TEXT;
CREATE TABLE IF NOT EXISTS rdap_networks (
  family INTEGER NOT NULL, first TEXT COLLATE "C" NOT NULL, last TEXT COLLATE "C" NOT NULL, abuse TEXT NOT NULL,
  fetched INTEGER NOT NULL, PRIMARY KEY (family, first, last));`,
    },
  },
  {
    version: 10,
    why: 'the standing opt-out list (scopes no scan touches), and how many targets it left out of each scan and slice',
    sql: `
CREATE TABLE IF NOT EXISTS optouts (
  scope TEXT PRIMARY KEY, reason TEXT NOT NULL, added_by TEXT NOT NULL, created TEXT NOT NULL);
ALTER TABLE progress ADD COLUMN opted_out INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN opted_out INTEGER NOT NULL DEFAULT 0;`,
  },
  {
    version: 12,
    why: "clusters of hosts that answered alike: while a scan runs its print key and hosts' prints (keyed digests, erased once judged), then its clusters",
    sql: `
CREATE TABLE IF NOT EXISTS scan_keys (scan_id TEXT PRIMARY KEY, print_key TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS host_prints (
  scan_id TEXT NOT NULL, host TEXT NOT NULL, basis TEXT NOT NULL, print TEXT NOT NULL,
  PRIMARY KEY (scan_id, host, basis));
CREATE TABLE IF NOT EXISTS clusters (
  scan_id TEXT NOT NULL, id TEXT NOT NULL, size INTEGER NOT NULL, basis TEXT NOT NULL,
  fleet INTEGER NOT NULL, hosts TEXT NOT NULL, PRIMARY KEY (scan_id, id));`,
  },
  {
    version: 13,
    why: "notification campaigns: their notices (ticket, contact, delivery state), what each notified (service and finding: a rerun sends nothing twice), and each notified service as it was then and as rechecked; monitors' e-mail recipients and each alert's mail outcome",
    sql: `
CREATE TABLE IF NOT EXISTS campaigns (
  name TEXT PRIMARY KEY, depth TEXT NOT NULL, scan_id TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS notices (
  ticket TEXT PRIMARY KEY, campaign TEXT NOT NULL, contact TEXT NOT NULL, scan_id TEXT NOT NULL,
  created TEXT NOT NULL, state TEXT NOT NULL, error TEXT, sent TEXT);
CREATE TABLE IF NOT EXISTS notice_items (
  campaign TEXT NOT NULL, host TEXT NOT NULL, port INTEGER NOT NULL, finding TEXT NOT NULL, ticket TEXT NOT NULL,
  PRIMARY KEY (campaign, host, port, finding));
CREATE TABLE IF NOT EXISTS campaign_services (
  campaign TEXT NOT NULL, host TEXT NOT NULL, port INTEGER NOT NULL, ticket TEXT NOT NULL, asn INTEGER, as_name TEXT,
  cc TEXT, record TEXT NOT NULL, state TEXT, checked TEXT, closed TEXT, PRIMARY KEY (campaign, host, port));
ALTER TABLE monitors ADD COLUMN email TEXT;
ALTER TABLE alerts ADD COLUMN mailed TEXT;
ALTER TABLE alerts ADD COLUMN mail_error TEXT;`,
  },
  {
    version: 14,
    why: "pages at any depth and totals without a pass over the records: an index in each sort's order (a page after a cursor seeks, it skips nothing), and per-scan tallies kept as records arrive (tallies.ts; filled from the records of earlier scans as this step runs, their findings too: a file older than versioning may have no findings table)",
    // the product as a sort key ('' for none: a row comparison with NULL is no comparison), a column both planners seek on
    sql: {
      sqlite: `
ALTER TABLE services ADD COLUMN product_key TEXT GENERATED ALWAYS AS (COALESCE(product, '')) VIRTUAL;
${TALLIES_AND_SORT_INDEXES}`,
      postgres: `
ALTER TABLE services ADD COLUMN product_key TEXT GENERATED ALWAYS AS (COALESCE(product, '')) STORED;
${TALLIES_AND_SORT_INDEXES}`,
    },
  },
  {
    version: 15,
    why: "the overview's breakdown by country kept as records arrive: exposed services by their host's country instead of by host (no pass over the hosts on the overview's first request); version 14's host tallies summed into countries as this step runs (in JS, countryOf: tallies.ts)",
    sql: 'SELECT 1;',
  },
];

/** The version whose step fills the tallies from the records (in JS, after its SQL: runner.ts). */
export const TALLIES_VERSION = 14;
/** The version whose step turns the host tallies into country tallies (in JS: runner.ts). */
export const COUNTRY_TALLIES_VERSION = 15;

export const SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

export const VERSION_TABLE = 'CREATE TABLE IF NOT EXISTS opendoor_schema (version INTEGER NOT NULL)';

/** The steps that bring a database at `from` to SCHEMA_VERSION, as SQL for the dialect. */
export function migrationsAfter(from: number, dialect: Dialect): string[] {
  return MIGRATIONS.filter((m) => m.version > from).map((m) => {
    const sql = typeof m.sql === 'string' ? m.sql : m.sql[dialect];
    return dialect === 'postgres' ? sql.replace(/\bINTEGER\b/g, 'BIGINT') : sql;
  });
}

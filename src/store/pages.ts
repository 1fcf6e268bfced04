/**
 * Pages of a scan's services and of a host's records across scans. Offsets work (the first pages,
 * links people keep), and every page also answers a cursor (`next`) for the page after its last
 * row: the seek (`WHERE (sort key, host, port) > cursor`) walks an index in the sort's order
 * (schema version 14), so a page deep in a million records costs what the first one does; an
 * offset skips index entries one by one. A cursor is opaque to clients: base64url of the sort it
 * was made for and the last row's key.
 */
import type { ServiceRecord } from '../output/records.js';
import type { SqlValue } from './driver.js';
import { CursorError, type ServiceFilter } from './store.js';
import { type Read, matching } from './tallies.js';

// the sort's key: columns from this list, never from the request (product_key: the product, '' for none, on both backends)
const KEYS = {
  host: ['host', 'port'],
  port: ['port', 'host'],
  product: ['product_key', 'host', 'port'],
  patients: ['patients', 'host', 'port'],
  studies: ['studies', 'host', 'port'],
} as const;

type Key = Array<string | number>;

const encode = (parts: ReadonlyArray<SqlValue | boolean>): string =>
  Buffer.from(JSON.stringify(parts)).toString('base64url');

function decode(cursor: string, head: ReadonlyArray<SqlValue | boolean>, types: readonly string[]): Key {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new CursorError();
  }
  if (!Array.isArray(parts) || parts.length !== head.length + types.length) throw new CursorError();
  if (head.some((h, i) => parts[i] !== h)) throw new CursorError();
  const key = parts.slice(head.length);
  if (key.some((v, i) => typeof v !== types[i] || (typeof v === 'number' && !Number.isSafeInteger(v))))
    throw new CursorError();
  return key as Key;
}

const typeOf = (column: string) => (column === 'host' || column === 'product_key' ? 'string' : 'number');

/** A page of a scan's services, filtered and sorted; after `f.after` (a cursor) when given, else from `offset`. */
export async function servicesPage(
  read: Read,
  scanId: string,
  limit: number,
  offset: number,
  f: ServiceFilter,
): Promise<{ items: ServiceRecord[]; total: number; next: string | null }> {
  const where = ['scan_id = ?'];
  const params: SqlValue[] = [scanId];
  const add = (sql: string, v: SqlValue) => {
    where.push(sql);
    params.push(v);
  };
  if (f.exposed !== undefined) add('exposed = ?', f.exposed ? 1 : 0);
  if (f.protocol !== undefined) add('protocol = ?', f.protocol);
  if (f.product !== undefined) add('product = ?', f.product);
  if (f.port !== undefined) add('port = ?', f.port);
  if (f.host !== undefined) {
    add('substr(host, 1, ?) = ?', f.host.length);
    params.push(f.host);
  }
  const sort = f.sort ?? 'host';
  const desc = f.desc === true;
  const key = KEYS[sort];
  const order = `ORDER BY ${key.map((c) => `${c} ${desc ? 'DESC' : 'ASC'}`).join(', ')}`;
  const cols = `record, ${key.map((c, i) => `${c} AS k${i}`).join(', ')}`;
  const cond = where.join(' AND ');
  let rows: Array<Record<string, SqlValue>>;
  if (f.after !== undefined) {
    const after = decode(f.after, [sort, desc], key.map(typeOf));
    rows = await read(
      `SELECT ${cols} FROM services WHERE ${cond} AND (${key.join(', ')}) ${desc ? '<' : '>'} (${key.map(() => '?').join(', ')})
        ${order} LIMIT ?`,
      [...params, ...after, limit + 1],
    );
  } else {
    // the page's keys from the index first, then only their records (an offset skips keys, not records)
    rows = await read(
      `SELECT ${cols} FROM services WHERE scan_id = ? AND (host, port) IN
         (SELECT host, port FROM services WHERE ${cond} ${order} LIMIT ? OFFSET ?) ${order}`,
      [scanId, ...params, limit + 1, offset],
    );
  }
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const next =
    rows.length > limit && last !== undefined
      ? encode([sort, desc, ...key.map((_, i) => last[`k${i}`] ?? null)])
      : null;
  const total =
    (await matching(read, scanId, f)) ??
    Number((await read<{ n: number }>(`SELECT COUNT(*) AS n FROM services WHERE ${cond}`, params))[0]?.n ?? 0);
  return { items: page.map((r) => JSON.parse(String(r['record'])) as ServiceRecord), total, next };
}

export interface HostItem {
  scanId: string;
  started: string;
  record: ServiceRecord;
}

/** A host's records across scans, the newest scan first; after `after` (a cursor) when given, else from `offset`. */
export async function hostPage(
  read: Read,
  host: string,
  limit: number,
  offset: number,
  after?: string,
): Promise<{ items: HostItem[]; total: number; next: string | null }> {
  let seek = '';
  const params: SqlValue[] = [host];
  if (after !== undefined) {
    const [started, scanId, port] = decode(after, ['host'], ['string', 'string', 'number']);
    seek = 'AND (s.started < ? OR (s.started = ? AND (v.scan_id < ? OR (v.scan_id = ? AND v.port > ?))))';
    params.push(started ?? '', started ?? '', scanId ?? '', scanId ?? '', port ?? 0);
  }
  const rows = await read<{ scanId: string; started: string; port: number; record: string }>(
    `SELECT v.scan_id AS "scanId", s.started, v.port, v.record FROM services v JOIN scans s ON s.id = v.scan_id
      WHERE v.host = ? ${seek} ORDER BY s.started DESC, v.scan_id DESC, v.port LIMIT ? OFFSET ?`,
    [...params, limit + 1, after !== undefined ? 0 : offset],
  );
  const total = (await read<{ n: number }>('SELECT COUNT(*) AS n FROM services WHERE host = ?', [host]))[0];
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => ({ scanId: r.scanId, started: r.started, record: JSON.parse(r.record) as ServiceRecord })),
    total: Number(total?.n ?? 0),
    next: rows.length > limit && last !== undefined ? encode(['host', last.started, last.scanId, last.port]) : null,
  };
}

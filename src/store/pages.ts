/**
 * Pages of a scan's services and of a host's records across scans. Offsets work (the first pages,
 * links people keep), and every page also answers cursors: `next` for the page after its last row,
 * `prev` for the page before its first (null on the first page). The seek (`WHERE (sort key, host,
 * port) > cursor`, or `<` and the order reversed for a page before one, its rows turned back to the
 * sort's order) walks an index in the sort's order (schema version 14) either way, so a page deep
 * in a million records costs what the first one does; an offset skips index entries one by one. A
 * cursor is opaque to clients: base64url of the sort it was made for and a row's key.
 */
import type { ServiceRecord } from '../output/records.js';
import type { SqlValue } from './driver.js';
import { type Cursor, CursorError, type Page, type ServiceFilter } from './store.js';
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

/**
 * The seek of a page: which way it walks (back: before a cursor) and its cursor's key, or none (an
 * offset). A CursorError for both cursors at once, or one not made for this list and sort.
 */
function seekOf(at: Cursor, head: ReadonlyArray<SqlValue | boolean>, types: readonly string[]) {
  if (at.after !== undefined && at.before !== undefined)
    throw new CursorError('after and before together: one of them');
  const back = at.before !== undefined;
  const cursor = at.before ?? at.after;
  return { back, cursor, key: cursor === undefined ? null : decode(cursor, head, types) };
}

/**
 * ORDER BY the columns (each ascending, or descending where `desc`), reversed for a page before a
 * cursor; and the rows beyond `key` in that order, with its parameters: one row comparison when
 * every column goes the same way (what the indexes seek on), else column by column.
 */
function seekSql(cols: readonly string[], desc: readonly boolean[], back: boolean, key: Key | null) {
  const down = desc.map((d) => d !== back);
  const order = `ORDER BY ${cols.map((c, i) => `${c} ${down[i] ? 'DESC' : 'ASC'}`).join(', ')}`;
  const op = (i: number) => (down[i] ? '<' : '>');
  if (key === null) return { order, beyond: '', params: [] };
  if (down.every((d) => d === down[0]))
    return { order, beyond: `AND (${cols.join(', ')}) ${op(0)} (${cols.map(() => '?').join(', ')})`, params: key };
  const from = (i: number): { sql: string; params: Key } => {
    const k = key[i] ?? '';
    if (i === cols.length - 1) return { sql: `${cols[i]} ${op(i)} ?`, params: [k] };
    const rest = from(i + 1);
    return { sql: `(${cols[i]} ${op(i)} ? OR (${cols[i]} = ? AND ${rest.sql}))`, params: [k, k, ...rest.params] };
  };
  const all = from(0);
  return { order, beyond: `AND ${all.sql}`, params: all.params };
}

/**
 * A page of the `limit + 1` rows a query gave (in the seek's order), in the sort's order, with its
 * cursors: `next` when rows follow its last, `prev` when rows come before its first. Going forward
 * (from an offset or after a cursor) rows come before unless it started at the first; going back,
 * rows follow (the cursor's own), and come before only when the query found one more.
 */
function ends<R>(
  rows: R[],
  limit: number,
  seek: { back: boolean; cursor: string | undefined },
  first: boolean,
  cursor: (row: R) => string,
) {
  const more = rows.length > limit;
  const page = rows.slice(0, limit);
  if (seek.back) page.reverse();
  const [head, last] = [page[0], page.at(-1)];
  const edge = (row: R | undefined) => (row === undefined ? (seek.cursor ?? null) : cursor(row));
  if (seek.back) return { page, prev: more ? edge(head) : null, next: edge(last) };
  return { page, prev: first ? null : edge(head), next: more && last !== undefined ? cursor(last) : null };
}

/** A page of a scan's services, filtered and sorted; after `f.after` or before `f.before` (a cursor) when given, else from `offset`. */
export async function servicesPage(
  read: Read,
  scanId: string,
  limit: number,
  offset: number,
  f: ServiceFilter,
): Promise<Page<ServiceRecord>> {
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
  const seek = seekOf(f, [sort, desc], key.map(typeOf));
  const {
    order,
    beyond,
    params: at,
  } = seekSql(
    key,
    key.map(() => desc),
    seek.back,
    seek.key,
  );
  const cols = `record, ${key.map((c, i) => `${c} AS k${i}`).join(', ')}`;
  const cond = where.join(' AND ');
  // the rows and their count at once (on a store with readers, two connections)
  const [rows, total] = await Promise.all([
    // after or before a cursor, or the first page: straight along the sort's index
    seek.key !== null || offset === 0
      ? read<Record<string, SqlValue>>(`SELECT ${cols} FROM services WHERE ${cond} ${beyond} ${order} LIMIT ?`, [
          ...params,
          ...at,
          limit + 1,
        ])
      : // the page's keys from the index first, then only their records (an offset skips keys, not records)
        read<Record<string, SqlValue>>(
          `SELECT ${cols} FROM services WHERE scan_id = ? AND (host, port) IN
             (SELECT host, port FROM services WHERE ${cond} ${order} LIMIT ? OFFSET ?) ${order}`,
          [scanId, ...params, limit + 1, offset],
        ),
    matching(read, scanId, f).then(
      async (n) =>
        n ?? Number((await read<{ n: number }>(`SELECT COUNT(*) AS n FROM services WHERE ${cond}`, params))[0]?.n ?? 0),
    ),
  ]);
  const { page, prev, next } = ends(rows, limit, seek, seek.key === null && offset === 0, (r) =>
    encode([sort, desc, ...key.map((_, i) => r[`k${i}`] ?? null)]),
  );
  return { items: page.map((r) => JSON.parse(String(r['record'])) as ServiceRecord), total, next, prev };
}

export interface HostItem {
  scanId: string;
  started: string;
  record: ServiceRecord;
}

/** A host's records across scans, the newest scan first; after `at.after` or before `at.before` (a cursor) when given, else from `offset`. */
export async function hostPage(
  read: Read,
  host: string,
  limit: number,
  offset: number,
  at: Cursor = {},
): Promise<Page<HostItem>> {
  const seek = seekOf(at, ['host'], ['string', 'string', 'number']);
  const { order, beyond, params } = seekSql(
    ['s.started', 'v.scan_id', 'v.port'],
    [true, true, false],
    seek.back,
    seek.key,
  );
  const [rows, [total]] = await Promise.all([
    read<{ scanId: string; started: string; port: number; record: string }>(
      `SELECT v.scan_id AS "scanId", s.started, v.port, v.record FROM services v JOIN scans s ON s.id = v.scan_id
        WHERE v.host = ? ${beyond} ${order} LIMIT ? OFFSET ?`,
      [host, ...params, limit + 1, seek.key !== null ? 0 : offset],
    ),
    read<{ n: number }>('SELECT COUNT(*) AS n FROM services WHERE host = ?', [host]),
  ]);
  const { page, prev, next } = ends(rows, limit, seek, seek.key === null && offset === 0, (r) =>
    encode(['host', r.started, r.scanId, r.port]),
  );
  return {
    items: page.map((r) => ({ scanId: r.scanId, started: r.started, record: JSON.parse(r.record) as ServiceRecord })),
    total: Number(total?.n ?? 0),
    next,
    prev,
  };
}

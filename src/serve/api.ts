/**
 * The JSON API under /api/v1 (docs/api.md): the same records as the CLI's JSON Lines,
 * every list paged ({items, total, limit, offset}; services and a host's records also by cursor:
 * `next`, `after`), a scan's progress as server-sent events, starting a scan for admins.
 * Requests are validated by Fastify's schemas before a handler runs.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { scanRecord } from '../output/records.js';
import { CursorError, SERVICE_SORTS, type ServiceFilter, type Store } from '../store/store.js';
import { InputError } from '../util/errors.js';

import type { ScanLauncher } from './launcher.js';
import { ProgressHub } from './progressHub.js';

export const PAGE_DEFAULT = 50;
export const PAGE_MAX = 500;
/** Progress streams open at once (the store is read once a second per followed scan, not per stream). */
const STREAMS_MAX = 64;
const TICK_MS = 1000;

/**
 * A whole number from min to max. Ajv coerces "1e309" to Infinity and then skips its bounds for a
 * number that is not finite: refused here (found by test/api.test.ts's fuzz: a 500 before).
 */
export const int = (minimum: number, maximum: number) =>
  ({ type: 'integer', minimum, maximum, not: { enum: [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY] } }) as const;

const paging = {
  limit: { ...int(1, PAGE_MAX), default: PAGE_DEFAULT },
  offset: { ...int(0, 1_000_000_000), default: 0 },
} as const;

/** The query string of every list: limit (1…500, 50 by default) and offset. */
export const pagingQuery = { type: 'object', properties: paging } as const;

/** A page's `next`, for the page after it (services and a host's records). */
const after = { type: 'string', maxLength: 512, pattern: '^[A-Za-z0-9_-]+$' } as const;

export const serviceQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...paging,
    exposed: { type: 'boolean' },
    protocol: { type: 'string', maxLength: 32 },
    product: { type: 'string', maxLength: 128 },
    port: int(0, 65535),
    host: { type: 'string', maxLength: 255 },
    sort: { type: 'string', enum: [...SERVICE_SORTS] },
    desc: { type: 'boolean' },
    after,
  },
} as const;

export type ServiceQuery = ServiceFilter & { limit: number; offset: number };

const idParam = {
  type: 'object',
  properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' } },
  required: ['id'],
} as const;

type Paged = { limit: number; offset: number };

export function registerApi(app: FastifyInstance, store: Store, launcher: ScanLauncher): void {
  let streams = 0;
  const hub = new ProgressHub(store, TICK_MS);
  app.addHook('onClose', async () => hub.close());
  const notFound = (reply: FastifyReply, what: string) => reply.code(404).send({ error: `no ${what}` });

  app.get('/api/v1/scans', { schema: { querystring: pagingQuery } }, async (req) => {
    const { limit, offset } = req.query as Paged;
    const rows = await store.listScans();
    return { items: rows.slice(offset, offset + limit).map(scanRecord), total: rows.length, limit, offset };
  });

  app.get('/api/v1/scans/:id', { schema: { params: idParam } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const row = await store.scan(id);
    if (row === null) return notFound(reply, 'such scan');
    return { ...(await store.summary(id)), state: row.status };
  });

  app.get(
    '/api/v1/scans/:id/services',
    { schema: { params: idParam, querystring: serviceQuery } },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      if ((await store.scan(id)) === null) return notFound(reply, 'such scan');
      const { limit, offset, ...filter } = req.query as ServiceQuery;
      return paged(reply, async () => ({ ...(await store.servicesPage(id, limit, offset, filter)), limit, offset }));
    },
  );

  app.get('/api/v1/scans/:id/events', { schema: { params: idParam } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    if ((await store.scan(id)) === null) return notFound(reply, 'such scan');
    if (streams >= STREAMS_MAX) return reply.code(503).send({ error: 'too many progress streams; try again later' });
    streams++;
    await progressStream(hub, id, req, reply).finally(() => streams--);
    return reply;
  });

  app.get(
    '/api/v1/hosts/:address',
    {
      schema: {
        params: { type: 'object', properties: { address: { type: 'string', maxLength: 255 } }, required: ['address'] },
        querystring: { type: 'object', properties: { ...paging, after } },
      },
    },
    async (req, reply) => {
      const { address } = req.params as { address: string };
      const { limit, offset, after } = req.query as Paged & { after?: string };
      return paged(reply, async () => ({ ...(await store.hostRecords(address, limit, offset, after)), limit, offset }));
    },
  );

  app.post(
    '/api/v1/scans',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['targets'],
          properties: {
            targets: { type: 'array', minItems: 1, maxItems: 10_000, items: { type: 'string', maxLength: 255 } },
            ports: {
              anyOf: [
                { type: 'string', maxLength: 4096 },
                { type: 'array', maxItems: 65536, items: int(1, 65535) },
              ],
            },
            depth: { type: 'string', maxLength: 16 },
          },
        },
      },
    },
    async (req, reply) => {
      const b = req.body as { targets: string[]; ports?: string | number[]; depth?: string };
      try {
        const scanId = await launcher.start({
          targets: b.targets,
          ...(b.ports !== undefined ? { ports: Array.isArray(b.ports) ? b.ports.join(',') : b.ports } : {}),
          ...(b.depth !== undefined ? { depth: b.depth } : {}),
        });
        return reply.code(201).send({ scanId });
      } catch (e) {
        if (e instanceof InputError) return reply.code(400).send({ error: e.message });
        throw e;
      }
    },
  );
}

/** A page, or HTTP 400 for a cursor the store did not make for this list and sort. */
async function paged<T>(reply: FastifyReply, page: () => Promise<T>): Promise<T | FastifyReply> {
  try {
    return await page();
  } catch (e) {
    if (e instanceof CursorError) return reply.code(400).send({ error: e.message });
    throw e;
  }
}

/** `progress` events once a second (and when the scan ends, an `end` event), until it ends or the client goes. */
async function progressStream(hub: ProgressHub, id: string, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  await new Promise<void>((resolve) => {
    let last = '';
    let over = false;
    let unsubscribe = (): void => undefined;
    const finish = () => {
      if (over) return;
      over = true;
      unsubscribe();
      res.end();
      resolve();
    };
    req.raw.on('close', finish);
    unsubscribe = hub.subscribe(id, (row) => {
      if (row === null) return finish();
      const data = JSON.stringify(scanRecord(row));
      res.write(data !== last ? `event: progress\ndata: ${data}\n\n` : ': waiting\n\n');
      last = data;
      if (row.status === 'done' || row.status === 'interrupted') {
        res.write(`event: end\ndata: ${JSON.stringify({ state: row.status })}\n\n`);
        finish();
      }
    });
    if (over) unsubscribe();
  });
}

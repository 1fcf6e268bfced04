/**
 * The JSON API under /api/v1 (docs/api.md): the same records as the CLI's JSON Lines,
 * every list paged ({items, total, limit, offset}; services and a host's records also by cursor:
 * `next` and `after`, `prev` and `before`), starting a scan for admins (a scan's progress
 * as server-sent events: progress.ts). Requests are validated by Fastify's schemas (schemas.ts)
 * before a handler runs; the handlers have their types from the same schemas.
 */
import type { FastifyReply } from 'fastify';
import { scanRecord } from '../output/records.js';
import { CursorError, type Store } from '../store/store.js';
import { InputError } from '../util/errors.js';

import type { ScanLauncher } from './launcher.js';
import { type Plugin, ref } from './schemas.js';

/** No such thing: 404 with its name. */
export const notFound = (reply: FastifyReply, what: string) => reply.code(404).send({ error: `no ${what}` });

export const apiRoutes: Plugin<{ store: Store; launcher: ScanLauncher }> = async (app, { store, launcher }) => {
  app.get('/api/v1/scans', { schema: { querystring: ref('paging') } }, async (req) => {
    const { limit, offset } = req.query;
    const rows = await store.listScans();
    return { items: rows.slice(offset, offset + limit).map(scanRecord), total: rows.length, limit, offset };
  });

  app.get('/api/v1/scans/:id', { schema: { params: ref('scanParams') } }, async (req, reply) => {
    const { id } = req.params;
    const row = await store.scan(id);
    if (row === null) return notFound(reply, 'such scan');
    return { ...(await store.summary(id)), state: row.status };
  });

  app.get(
    '/api/v1/scans/:id/services',
    { schema: { params: ref('scanParams'), querystring: ref('serviceQuery') } },
    async (req, reply) => {
      const { id } = req.params;
      const { limit, offset, ...filter } = req.query;
      // the page read at once with the scan (serve's store reads on connections of their own)
      const [row, page] = await Promise.allSettled([store.scan(id), store.servicesPage(id, limit, offset, filter)]);
      if (row.status === 'fulfilled' && row.value === null) return notFound(reply, 'such scan');
      if (row.status === 'rejected') throw row.reason;
      return paged(reply, async () => {
        if (page.status === 'rejected') throw page.reason;
        return { ...page.value, limit, offset };
      });
    },
  );

  app.get(
    '/api/v1/hosts/:address',
    { schema: { params: ref('hostParams'), querystring: ref('hostRecordsQuery') } },
    async (req, reply) => {
      const { address } = req.params;
      const { limit, offset, ...at } = req.query;
      return paged(reply, async () => ({ ...(await store.hostRecords(address, limit, offset, at)), limit, offset }));
    },
  );

  app.post('/api/v1/scans', { schema: { body: ref('scanRequest') } }, async (req, reply) => {
    const b = req.body;
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
  });
};

/** A page, or HTTP 400 for a cursor the store did not make for this list and sort (or two cursors). */
async function paged<T>(reply: FastifyReply, page: () => Promise<T>): Promise<T | FastifyReply> {
  try {
    return await page();
  } catch (e) {
    if (e instanceof CursorError) return reply.code(400).send({ error: e.message });
    throw e;
  }
}

/**
 * A scan's progress as server-sent events (GET /api/v1/scans/:id/events): `progress` once a second
 * while it changes, `end` when the scan ends. However many follow a scan, the store is read once a
 * tick for it (progressHub.ts); at most STREAMS_MAX streams are open at once.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { scanRecord } from '../output/records.js';
import type { Store } from '../store/store.js';
import { notFound } from './api.js';
import { ProgressHub } from './progressHub.js';
import { type Plugin, ref } from './schemas.js';

/** Progress streams open at once (the store is read once a second per followed scan, not per stream). */
const STREAMS_MAX = 64;
const TICK_MS = 1000;

export const progressRoutes: Plugin<{ store: Store }> = async (app, { store }) => {
  let streams = 0;
  const hub = new ProgressHub(store, TICK_MS);
  app.addHook('onClose', async () => hub.close());

  app.get('/api/v1/scans/:id/events', { schema: { params: ref('scanParams') } }, async (req, reply) => {
    const { id } = req.params;
    if ((await store.scan(id)) === null) return notFound(reply, 'such scan');
    if (streams >= STREAMS_MAX) return reply.code(503).send({ error: 'too many progress streams; try again later' });
    streams++;
    await progressStream(hub, id, req, reply).finally(() => streams--);
    return reply;
  });
};

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

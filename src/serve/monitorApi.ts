/** The API of monitors, alerts and notes: /api/v1/monitors, /api/v1/alerts, /api/v1/notes (changes for admins). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NOTE_STATES, type NoteState, type Store } from '../store/store.js';
import { InputError } from '../util/errors.js';
import { int, pagingQuery } from './api.js';

import type { MonitorRequest, Monitors } from './monitors.js';

export const monitorBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'schedule', 'timezone'],
  properties: {
    name: { type: 'string', maxLength: 64 },
    targets: { type: 'array', minItems: 1, maxItems: 10_000, items: { type: 'string', maxLength: 255 } },
    campaign: { type: 'string', maxLength: 64 },
    email: { type: 'array', maxItems: 20, items: { type: 'string', maxLength: 254 } },
    ports: { type: 'string', maxLength: 4096 },
    depth: { type: 'string', maxLength: 16 },
    schedule: { type: 'string', maxLength: 128 },
    timezone: { type: 'string', maxLength: 64 },
    webhook: { type: 'string', maxLength: 2048 },
  },
} as const;

export const noteBody = {
  type: 'object',
  required: ['host', 'port', 'finding', 'state'],
  properties: {
    host: { type: 'string', maxLength: 255 },
    port: int(0, 65535),
    finding: { type: 'string', maxLength: 64 },
    state: { type: 'string', enum: [...NOTE_STATES] },
    note: { type: 'string', maxLength: 4000, default: '' },
    _csrf: { type: 'string' },
  },
} as const;

/** A note from a validated body (noteBody), signed with the user's name: the API's and the host page's form. */
export async function saveNote(store: Store, req: FastifyRequest): Promise<{ host: string }> {
  const b = req.body as { host: string; port: number; finding: string; state: NoteState; note: string };
  await store.notes.put({
    host: b.host,
    port: b.port,
    finding: b.finding,
    state: b.state,
    note: b.note,
    by: req.user?.name ?? '',
  });
  return b;
}

export function registerMonitorApi(app: FastifyInstance, store: Store, monitors: Monitors): void {
  app.get('/api/v1/monitors', { schema: { querystring: pagingQuery } }, async (req) => {
    const { limit, offset } = req.query as { limit: number; offset: number };
    const all = await store.monitors.list();
    const items = all.slice(offset, offset + limit).map(({ secret: _secret, request, ...m }) => ({
      ...m,
      ...request,
      nextRun: monitors.nextRun(m.name)?.toISOString() ?? null,
    }));
    return { items, total: all.length, limit, offset };
  });

  app.post('/api/v1/monitors', { schema: { body: monitorBody } }, async (req, reply) => {
    const b = req.body as MonitorRequest & { ports?: string };
    try {
      const r = await monitors.put(b);
      // the webhook's HMAC key is shown once, when it is made
      return reply.code(201).send({ name: r.name, ...(r.secret !== null ? { secret: r.secret } : {}) });
    } catch (e) {
      if (e instanceof InputError) return reply.code(400).send({ error: e.message });
      throw e;
    }
  });

  app.post(
    '/api/v1/monitors/:name/run',
    { schema: { params: { type: 'object', properties: { name: { type: 'string', maxLength: 64 } } } } },
    async (req, reply) => {
      const { name } = req.params as { name: string };
      if ((await store.monitors.get(name)) === null) return reply.code(404).send({ error: 'no such monitor' });
      void monitors.runNow(name);
      return reply.code(202).send({ monitor: name });
    },
  );

  app.get('/api/v1/alerts', { schema: { querystring: pagingQuery } }, async (req) => {
    const { limit, offset } = req.query as { limit: number; offset: number };
    const { items, total } = await store.monitors.alerts(limit, offset);
    return {
      items: items.map(({ payload, ...a }) => ({ ...a, alert: JSON.parse(payload) as object })),
      total,
      limit,
      offset,
    };
  });

  app.post('/api/v1/notes', { schema: { body: noteBody } }, async (req, reply) => {
    await saveNote(store, req);
    return reply.code(204).send();
  });
}

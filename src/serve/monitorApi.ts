/** The API of monitors, alerts and notes: /api/v1/monitors, /api/v1/alerts, /api/v1/notes (changes for admins). */
import type { Monitors } from '../monitor/monitors.js';
import type { Store } from '../store/store.js';
import { InputError } from '../util/errors.js';
import { type NoteBody, type Plugin, ref, text } from './schemas.js';

/** A note from a validated body (noteBody), signed with the user's name: the API's and the host page's form. */
export async function saveNote(store: Store, b: NoteBody, by: string): Promise<{ host: string }> {
  await store.notes.put({ host: b.host, port: b.port, finding: b.finding, state: b.state, note: b.note, by });
  return b;
}

export const monitorApiRoutes: Plugin<{ store: Store; monitors: Monitors }> = async (app, { store, monitors }) => {
  app.get('/api/v1/monitors', { schema: { querystring: ref('paging') } }, async (req) => {
    const { limit, offset } = req.query;
    const all = await store.monitors.list();
    const items = all.slice(offset, offset + limit).map(({ secret: _secret, request, ...m }) => ({
      ...m,
      ...request,
      nextRun: monitors.nextRun(m.name)?.toISOString() ?? null,
    }));
    return { items, total: all.length, limit, offset };
  });

  app.post('/api/v1/monitors', { schema: { body: ref('monitorBody') } }, async (req, reply) => {
    const b = req.body;
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
    { schema: { params: { type: 'object', required: ['name'], properties: { name: text(64) } } } },
    async (req, reply) => {
      const { name } = req.params;
      if ((await store.monitors.get(name)) === null) return reply.code(404).send({ error: 'no such monitor' });
      void monitors.runNow(name);
      return reply.code(202).send({ monitor: name });
    },
  );

  app.get('/api/v1/alerts', { schema: { querystring: ref('paging') } }, async (req) => {
    const { limit, offset } = req.query;
    const { items, total } = await store.monitors.alerts(limit, offset);
    return {
      items: items.map(({ payload, ...a }) => ({ ...a, alert: JSON.parse(payload) as object })),
      total,
      limit,
      offset,
    };
  });

  app.post('/api/v1/notes', { schema: { body: ref('noteBody') } }, async (req, reply) => {
    await saveNote(store, req.body, req.user?.name ?? '');
    return reply.code(204).send();
  });
};

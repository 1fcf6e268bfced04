/** The monitors page: each monitor with its schedule and runs, a form to add or change one (admins), the alerts. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Monitors } from '../monitor/monitors.js';
import { DEPTHS } from '../probes/types.js';
import type { Store } from '../store/store.js';
import { InputError } from '../util/errors.js';

import { render } from './render.js';
import { type Plugin, ref } from './schemas.js';

export const monitorPageRoutes: Plugin<{ store: Store; monitors: Monitors }> = async (app, { store, monitors }) => {
  const page = async (req: FastifyRequest, reply: FastifyReply, extra: object, code = 200) => {
    const list = (await store.monitors.list()).map((m) => ({
      ...m,
      nextRun: monitors.nextRun(m.name)?.toISOString() ?? null,
    }));
    const alerts = (await store.monitors.alerts(50, 0)).items.map((a) => ({
      ...a,
      alert: JSON.parse(a.payload) as { new: unknown[]; fixed: unknown[]; changed: unknown[] },
    }));
    return render(
      req,
      reply,
      'monitors',
      { monitors: list, alerts, depths: DEPTHS, error: null, secret: null, form: {}, ...extra },
      code,
    );
  };

  app.get('/monitors', (req, reply) => page(req, reply, {}));

  app.post('/monitors', { schema: { body: ref('monitorForm') } }, async (req, reply) => {
    const b = req.body;
    const opt = (v: string | undefined) => (v !== undefined && v.trim() !== '' ? v.trim() : undefined);
    const ports = opt(b.ports);
    const depth = opt(b.depth);
    const webhook = opt(b.webhook);
    const email = (b.email ?? '').split(/[\s,]+/).filter((a) => a !== '');
    try {
      const r = await monitors.put({
        name: b.name.trim(),
        targets: b.targets.split(/[\s,]+/).filter((t) => t !== ''),
        schedule: b.schedule.trim(),
        timezone: b.timezone.trim(),
        ...(ports !== undefined ? { ports } : {}),
        ...(depth !== undefined ? { depth } : {}),
        ...(webhook !== undefined ? { webhook } : {}),
        ...(email.length > 0 ? { email } : {}),
      });
      return page(req, reply, { secret: r.secret === null ? null : { name: r.name, value: r.secret } });
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      return page(req, reply, { error: e.message, form: b }, 400);
    }
  });
};

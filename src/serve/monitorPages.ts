/** The monitors page: each monitor with its schedule and runs, a form to add or change one (admins), the alerts. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DEPTHS } from '../probes/types.js';
import type { Store } from '../store/store.js';
import { InputError } from '../util/errors.js';

import type { Monitors } from './monitors.js';
import { render } from './render.js';

interface MonitorForm {
  name: string;
  targets: string;
  ports?: string;
  depth?: string;
  schedule: string;
  timezone: string;
  webhook?: string;
  email?: string;
}

export function registerMonitorPages(app: FastifyInstance, store: Store, monitors: Monitors): void {
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

  app.post(
    '/monitors',
    {
      schema: {
        body: {
          type: 'object',
          required: ['name', 'targets', 'schedule', 'timezone'],
          properties: Object.fromEntries(
            ['name', 'targets', 'ports', 'depth', 'schedule', 'timezone', 'webhook', 'email', '_csrf'].map((k) => [
              k,
              { type: 'string', maxLength: k === 'targets' ? 65536 : 2048 },
            ]),
          ),
        },
      },
    },
    async (req, reply) => {
      const b = req.body as MonitorForm;
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
    },
  );
}

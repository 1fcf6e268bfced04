/**
 * Notification campaigns in the dashboard: the list, a campaign's page (the remediation curve — share
 * closed against days since notice, an inline SVG like the overview's —, per-AS and per-country
 * tables, each notice with its ticket, state and services' states) and the same as JSON under
 * /api/v1/campaigns. Viewers read; admins start a recheck (a form with its CSRF token, or the API),
 * which runs as `opendoor campaign recheck` does (notify/recheck.ts: opt-outs honoured).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { loadCampaign } from '../notify/campaign.js';
import { recheckCampaign } from '../notify/recheck.js';
import type { Store } from '../store/store.js';
import type { Logger } from '../util/log.js';
import { curveChart } from './chart.js';
import { render } from './render.js';
import type { Plugin } from './schemas.js';

const nameParams = {
  params: {
    type: 'object',
    required: ['name'],
    properties: { name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' } },
  },
} as const;

export const campaignRoutes: Plugin<{ store: Store; log: Logger }> = async (app, { store, log }) => {
  /** Rechecks under way, by campaign: one at a time each. */
  const running = new Map<string, Promise<unknown>>();
  const recheck = (name: string): boolean => {
    if (running.has(name)) return false;
    const p = recheckCampaign(store, name, { log })
      .catch((e: unknown) => log.warn(`campaign ${name}: recheck failed: ${e instanceof Error ? e.name : 'error'}`))
      .finally(() => running.delete(name));
    running.set(name, p);
    return true;
  };
  const all = async () =>
    (await Promise.all((await store.campaigns.list()).map((c) => loadCampaign(store, c.name)))).flatMap((v) =>
      v === null ? [] : [v],
    );

  app.get('/api/v1/campaigns', async () => {
    const items = (await all()).map(({ items: _items, curve: _curve, ...head }) => head);
    return { items, total: items.length };
  });
  app.get('/api/v1/campaigns/:name', { schema: nameParams }, async (req, reply) => {
    const v = await loadCampaign(store, req.params.name);
    if (v === null) return reply.code(404).send({ error: 'no such campaign' });
    return v;
  });
  app.post('/api/v1/campaigns/:name/recheck', { schema: nameParams }, async (req, reply) => {
    const { name } = req.params;
    if ((await store.campaigns.get(name)) === null) return reply.code(404).send({ error: 'no such campaign' });
    return reply.code(202).send({ campaign: name, started: recheck(name) });
  });

  app.get('/campaigns', async (req, reply) => render(req, reply, 'campaigns', { campaigns: await all() }));
  const page = async (req: FastifyRequest, reply: FastifyReply, name: string, notice: string | null) => {
    const v = await loadCampaign(store, name);
    if (v === null) return render(req, reply, 'missing', { what: 'campaign' }, 404);
    return render(req, reply, 'campaign', {
      c: v,
      chart: curveChart(v.curve),
      running: running.has(v.name),
      notice,
    });
  };
  app.get('/campaigns/:name', { schema: nameParams }, (req, reply) => page(req, reply, req.params.name, null));
  app.post('/campaigns/:name/recheck', { schema: nameParams }, async (req, reply) => {
    const { name } = req.params;
    if ((await store.campaigns.get(name)) === null) return render(req, reply, 'missing', { what: 'campaign' }, 404);
    return page(
      req,
      reply,
      name,
      recheck(name) ? 'Recheck started: reload in a minute.' : 'A recheck is already running.',
    );
  });
};

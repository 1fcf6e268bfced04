/**
 * The opt-out list in the dashboard: a page (everyone reads it; admins add and remove, forms with
 * CSRF tokens) and /api/v1/optouts (GET for viewers; POST, DELETE for admins). The same checks as
 * `opendoor optout` (targets/optout.ts optOutEntry); scans read the list as they start.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { optOutRecord } from '../output/records.js';
import type { Store } from '../store/store.js';
import { REASON_MAX, canonicalScope, optOutEntry } from '../targets/optout.js';
import { InputError } from '../util/errors.js';
import { pagingQuery } from './api.js';
import { render } from './render.js';

const scopeProp = { type: 'string', maxLength: 255 } as const;
const reasonProp = { type: 'string', maxLength: REASON_MAX + 64 } as const;

export function registerOptOuts(app: FastifyInstance, store: Store): void {
  const add = async (req: FastifyRequest, b: { scope: string; reason?: string }) => {
    const e = optOutEntry(b.scope, b.reason);
    return { ...e, state: await store.optouts.add(e.scope, e.reason, req.user?.name ?? '') };
  };
  /** Removed, or false when the scope (valid) is not on the list. */
  const remove = (scope: string) => store.optouts.remove(canonicalScope(scope).text);

  app.get('/api/v1/optouts', { schema: { querystring: pagingQuery } }, async (req) => {
    const { limit, offset } = req.query as { limit: number; offset: number };
    const all = await store.optouts.list();
    return { items: all.slice(offset, offset + limit).map(optOutRecord), total: all.length, limit, offset };
  });

  app.post(
    '/api/v1/optouts',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['scope'],
          properties: { scope: scopeProp, reason: reasonProp },
        },
      },
    },
    async (req, reply) => {
      try {
        const r = await add(req, req.body as { scope: string; reason?: string });
        return reply.code(r.state === 'added' ? 201 : 200).send(r);
      } catch (e) {
        if (e instanceof InputError) return reply.code(400).send({ error: e.message });
        throw e;
      }
    },
  );

  app.delete(
    '/api/v1/optouts',
    {
      schema: {
        querystring: { type: 'object', required: ['scope'], properties: { scope: scopeProp } },
      },
    },
    async (req, reply) => {
      try {
        if (!(await remove((req.query as { scope: string }).scope)))
          return reply.code(404).send({ error: 'not on the opt-out list' });
        return reply.code(204).send();
      } catch (e) {
        if (e instanceof InputError) return reply.code(400).send({ error: e.message });
        throw e;
      }
    },
  );

  const page = async (req: FastifyRequest, reply: FastifyReply, extra: object, code = 200) =>
    render(
      req,
      reply,
      'optouts',
      { optouts: (await store.optouts.list()).map(optOutRecord), error: null, notice: null, form: {}, ...extra },
      code,
    );
  const form = (...fields: string[]) => ({
    body: {
      type: 'object',
      required: ['scope'],
      properties: Object.fromEntries([...fields, '_csrf'].map((k) => [k, k === 'reason' ? reasonProp : scopeProp])),
    },
  });

  app.get('/optouts', (req, reply) => page(req, reply, {}));

  app.post('/optouts', { schema: form('scope', 'reason') }, async (req, reply) => {
    const b = req.body as { scope: string; reason?: string };
    try {
      const r = await add(req, b);
      return page(req, reply, { notice: `${r.scope} ${r.state === 'added' ? 'added' : 'updated'}` });
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      return page(req, reply, { error: e.message, form: b }, 400);
    }
  });

  app.post('/optouts/remove', { schema: form('scope') }, async (req, reply) => {
    const { scope } = req.body as { scope: string };
    try {
      if (!(await remove(scope))) return page(req, reply, { error: `${scope} is not on the opt-out list` }, 404);
      return page(req, reply, { notice: `${canonicalScope(scope).text} removed` });
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      return page(req, reply, { error: e.message }, 400);
    }
  });
}

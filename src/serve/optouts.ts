/**
 * The opt-out list in the dashboard: a page (everyone reads it; admins add and remove, forms with
 * CSRF tokens) and /api/v1/optouts (GET for viewers; POST, DELETE for admins). The same checks as
 * `opendoor optout` (targets/optout.ts optOutEntry); scans read the list as they start.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { optOutRecord } from '../output/records.js';
import type { Store } from '../store/store.js';
import { REASON_MAX, canonicalScope, optOutEntry } from '../targets/optout.js';
import { InputError } from '../util/errors.js';
import { render } from './render.js';
import { type Plugin, ref, text } from './schemas.js';

const scopeProp = text(255);
const reasonProp = text(REASON_MAX + 64);
/** The page's forms (their CSRF token a field like the others). */
const addForm = {
  type: 'object',
  required: ['scope'],
  properties: { scope: scopeProp, reason: reasonProp, _csrf: scopeProp },
} as const;
const removeForm = { type: 'object', required: ['scope'], properties: { scope: scopeProp, _csrf: scopeProp } } as const;

export const optOutRoutes: Plugin<{ store: Store }> = async (app, { store }) => {
  const add = async (req: FastifyRequest, b: { scope: string; reason?: string }) => {
    const e = optOutEntry(b.scope, b.reason);
    return { ...e, state: await store.optouts.add(e.scope, e.reason, req.user?.name ?? '') };
  };
  /** Removed, or false when the scope (valid) is not on the list. */
  const remove = (scope: string) => store.optouts.remove(canonicalScope(scope).text);

  app.get('/api/v1/optouts', { schema: { querystring: ref('paging') } }, async (req) => {
    const { limit, offset } = req.query;
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
        const r = await add(req, req.body);
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
        if (!(await remove(req.query.scope))) return reply.code(404).send({ error: 'not on the opt-out list' });
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
  app.get('/optouts', (req, reply) => page(req, reply, {}));

  app.post('/optouts', { schema: { body: addForm } }, async (req, reply) => {
    const b = req.body;
    try {
      const r = await add(req, b);
      return page(req, reply, { notice: `${r.scope} ${r.state === 'added' ? 'added' : 'updated'}` });
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      return page(req, reply, { error: e.message, form: b }, 400);
    }
  });

  app.post('/optouts/remove', { schema: { body: removeForm } }, async (req, reply) => {
    const { scope } = req.body;
    try {
      if (!(await remove(scope))) return page(req, reply, { error: `${scope} is not on the opt-out list` }, 404);
      return page(req, reply, { notice: `${canonicalScope(scope).text} removed` });
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      return page(req, reply, { error: e.message }, 400);
    }
  });
};

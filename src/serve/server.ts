/**
 * `opendoor serve`'s web application: Fastify with its own plugins for what they do well — security
 * headers and a strict Content-Security-Policy (helmet), cookies and server-side sessions, CSRF
 * tokens on every form, rate-limited sign-in, static assets — on the store interface. Ours are
 * plugins too: auth (shared with the rest), static files, and each part of the dashboard
 * encapsulated (the API, progress streams, the pages), on the shared schemas (schemas.ts). Nothing
 * is loaded from another origin; everything a scanned server sent is rendered as text.
 */
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Monitors } from '../monitor/monitors.js';
import type { Store } from '../store/store.js';
import type { Logger } from '../util/log.js';
import { apiRoutes } from './api.js';
import { authPlugin, csrfUnlessToken, requireRole, routerRefusal } from './auth.js';
import { campaignRoutes } from './campaigns.js';
import type { ScanLauncher } from './launcher.js';
import { type MetricsAccess, registerMetrics } from '../metrics/route.js';
import { monitorApiRoutes } from './monitorApi.js';
import { monitorPageRoutes } from './monitorPages.js';
import { registerOpenApi } from './openapi.js';
import { optOutRoutes } from './optouts.js';
import { pageRoutes } from './pages.js';
import { staticFiles } from './paths.js';
import { progressRoutes } from './progress.js';
import { resultPageRoutes } from './resultPages.js';
import { accessOf } from './routes.js';
import { addSchemas } from './schemas.js';

export interface ServerOptions {
  store: Store;
  launcher: ScanLauncher;
  monitors: Monitors;
  log: Logger;
  /** TLS key and certificate (PEM): HTTPS, and the session cookie only over it. */
  tls?: { key: Buffer; cert: Buffer };
  /** GET /metrics and its token (without: 404). */
  metrics?: MetricsAccess;
}

/** What a client is told of an error: the schema's complaint (it names a field and a rule, never data), else a word per status. */
function clientMessage(status: number, e: Error & { code?: string; validation?: unknown }): string {
  if (e.validation !== undefined) return e.message;
  if (e.code === 'FST_CSRF_INVALID_TOKEN' || e.code === 'FST_CSRF_MISSING_SECRET')
    return 'invalid form token: reload the page';
  const words: Record<number, string> = {
    403: 'forbidden',
    404: 'not found',
    413: 'request body too large',
    415: 'unsupported content type',
    429: 'too many requests: wait a minute',
  };
  return status === 500 ? 'internal error' : (words[status] ?? 'bad request');
}

export async function buildServer(o: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: 64 * 1024,
    // a host name is at most 253 characters: a longer path parameter names nothing (routerRefusal)
    routerOptions: { maxParamLength: 256 },
    frameworkErrors: routerRefusal(o.store.accounts),
    trustProxy: false,
    // on shutdown every connection goes, progress streams too (they would wait for their scan)
    forceCloseConnections: true,
    ...(o.tls !== undefined ? { https: { key: o.tls.key, cert: o.tls.cert } } : {}),
  }) as unknown as FastifyInstance;
  // every route's guard from the one table; a route not in it stops the server from starting
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      const access = accessOf(method, route.url);
      if (access === undefined) throw new Error(`route ${method} ${route.url} is not in serve/routes.ts`);
      // the role before the body is even parsed: a stranger or a viewer learns nothing from a 400
      if (access !== 'public')
        route.onRequest = [requireRole(access === 'admin' ? 'admin' : 'any'), ...[route.onRequest ?? []].flat()];
      // the CSRF token is in the form's body: checked once it is parsed, before the schema
      if (method === 'POST' || method === 'DELETE')
        route.preValidation = [csrfUnlessToken(app), ...[route.preValidation ?? []].flat()];
    }
  });
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
      },
    },
    hsts: o.tls !== undefined,
    referrerPolicy: { policy: 'no-referrer' },
  });
  // sessions, CSRF, sign-in limits and `req.user` (shared with every plugin below)
  await app.register(authPlugin, { accounts: o.store.accounts, secure: o.tls !== undefined });
  await app.register(fastifyFormbody);
  addSchemas(app);
  // JSON as Fastify parses it (prototype poisoning refused), and an empty body as none: what
  // `curl -X POST -H 'Content-Type: application/json'` sends to a route that takes no body
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (body.length === 0) done(null, undefined);
    else json(req, String(body), done);
  });
  // (a stranger never gets here on an /api/ path: auth.ts answered 401 first)
  app.setNotFoundHandler(async (_req, reply) => reply.code(404).type('application/json').send({ error: 'not found' }));
  app.setErrorHandler(async (e: Error & { statusCode?: number; code?: string; validation?: unknown }, req, reply) => {
    const status = e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500 ? e.statusCode : 500;
    if (status === 500) o.log.error(`serve: ${req.method} ${req.routeOptions.url ?? ''}: ${e.name}`);
    await reply
      .code(status)
      .type('application/json')
      .send({ error: clientMessage(status, e) });
  });
  // each part of the dashboard its own encapsulated plugin; their routes all in routes.ts
  const { store, launcher, monitors, log } = o;
  await registerOpenApi(app); // before the routes it describes
  await app.register(staticFiles);
  await app.register(apiRoutes, { store, launcher });
  await app.register(progressRoutes, { store });
  await app.register(monitorApiRoutes, { store, monitors });
  await app.register(pageRoutes, { store, launcher });
  await app.register(monitorPageRoutes, { store, monitors });
  await app.register(resultPageRoutes, { store });
  await app.register(optOutRoutes, { store });
  await app.register(campaignRoutes, { store, log });
  registerMetrics(app, store, o.metrics ?? null);
  return app;
}

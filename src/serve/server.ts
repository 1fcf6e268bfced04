/**
 * `opendoor serve`'s web application: Fastify with its own plugins for what they do well — security
 * headers and a strict Content-Security-Policy (helmet), cookies and server-side sessions, CSRF
 * tokens on every form, rate-limited sign-in, static assets — on the store interface. Nothing is
 * loaded from another origin; everything a scanned server sent is rendered as text.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySession from '@fastify/session';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Store } from '../store/store.js';
import type { Logger } from '../util/log.js';
import { registerApi } from './api.js';
import { IDLE_MS, csrfUnlessToken, registerAuth, requireRole, routerRefusal, sessionStore } from './auth.js';
import type { ScanLauncher } from './launcher.js';
import { registerMonitorApi } from './monitorApi.js';
import { registerMonitorPages } from './monitorPages.js';
import type { Monitors } from './monitors.js';
import { type MetricsAccess, registerMetrics } from '../metrics/route.js';
import { registerOpenApi } from './openapi.js';
import { registerOptOuts } from './optouts.js';
import { registerCampaigns } from './campaigns.js';
import { registerPages } from './pages.js';
import { registerResultPages } from './resultPages.js';
import { accessOf } from './routes.js';
import { ASSETS } from './paths.js';

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
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    secret: await o.store.accounts.cookieKey(() => randomBytes(32).toString('base64url')),
    cookieName: 'opendoor_session',
    store: sessionStore(o.store.accounts),
    saveUninitialized: false,
    rolling: true,
    cookie: { httpOnly: true, sameSite: 'strict', secure: o.tls !== undefined, path: '/', maxAge: IDLE_MS },
  });
  await app.register(fastifyCsrf, { sessionPlugin: '@fastify/session' });
  await app.register(fastifyFormbody);
  await app.register(fastifyRateLimit, { global: false });
  await app.register(fastifyStatic, { root: path.join(ASSETS, 'static'), prefix: '/static/', index: false });
  registerAuth(app, o.store.accounts);
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
  await registerOpenApi(app); // before the routes it describes
  registerApi(app, o.store, o.launcher);
  registerMonitorApi(app, o.store, o.monitors);
  registerPages(app, o.store, o.launcher);
  registerMonitorPages(app, o.store, o.monitors);
  registerResultPages(app, o.store);
  registerOptOuts(app, o.store);
  registerCampaigns(app, o.store, o.log);
  registerMetrics(app, o.store, o.metrics ?? null);
  return app;
}

/**
 * Who is asking: an API token (`Authorization: Bearer …`) or a signed-in browser's session (kept in
 * the store, server-side: revocable, idle expiry). Without either, pages go to /login and every
 * `/api/` path answers 401; a viewer may look but not change anything (403). Sign-in and sign-out.
 * The auth plugin shares its decorators (the session, the CSRF token, `req.user`) with every other
 * plugin (fastify-plugin); requireRole and csrfUnlessToken are the guards server.ts puts on each
 * route from the one table (routes.ts).
 */
import { randomBytes } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySession, { type SessionStore } from '@fastify/session';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { AccountStore, Role, UserRow } from '../store/store.js';
import { dummyHash, sha256, verifyPassword } from './secrets.js';

/** A session ends after this long without a request. */
export const IDLE_MS = 30 * 60 * 1000;
/** Sign-in attempts per client address and minute; more answer 429. */
export const SIGN_IN_PER_MINUTE = 10;

declare module 'fastify' {
  interface FastifyRequest {
    user: UserRow | null;
  }
  interface Session {
    user?: string;
  }
}

/** @fastify/session's store on ours: sessions by the SHA-256 of their id, each request pushing the idle expiry on. */
export function sessionStore(accounts: AccountStore): SessionStore {
  return {
    set: (id, session, done) => {
      const data = JSON.stringify(session);
      accounts.putSession(sha256(id), session.user ?? '', data, Date.now() + IDLE_MS).then(() => done(), done);
    },
    get: (id, done) => {
      accounts.session(sha256(id)).then(
        (data) => done(null, data === null ? null : JSON.parse(data)),
        (e: Error) => done(e),
      );
    },
    destroy: (id, done) => {
      accounts.endSession(sha256(id)).then(() => done(), done);
    },
  };
}

/** A path of the JSON API: every one, known or not, answers a stranger 401. */
export const isApi = (req: FastifyRequest) => req.url.startsWith('/api/');
/** What a stranger is told on any `/api/` path. */
export const SIGN_IN_FIRST = { error: 'sign in, or send Authorization: Bearer TOKEN' } as const;

function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  const m = typeof h === 'string' ? /^Bearer ([A-Za-z0-9_-]{10,200})$/.exec(h) : null;
  return m?.[1] ?? null;
}

export interface AuthOptions {
  accounts: AccountStore;
  /** Served over TLS: the session cookie only over it. */
  secure: boolean;
}

/** Sessions, CSRF tokens and the sign-in rate limit; `req.user` on every request. */
const auth: FastifyPluginAsync<AuthOptions> = async (app, { accounts, secure }) => {
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    secret: await accounts.cookieKey(() => randomBytes(32).toString('base64url')),
    cookieName: 'opendoor_session',
    store: sessionStore(accounts),
    saveUninitialized: false,
    rolling: true,
    cookie: { httpOnly: true, sameSite: 'strict', secure, path: '/', maxAge: IDLE_MS },
  });
  await app.register(fastifyCsrf, { sessionPlugin: '@fastify/session' });
  await app.register(fastifyRateLimit, { global: false });
  app.decorateRequest('user', null);
  // first of all (after the session is read): every /api/ path, known or not, answers a stranger
  // 401 before its body is parsed or its route is known — no 400, 404 or 415 tells them anything
  app.addHook('onRequest', async (req, reply) => {
    const token = bearer(req);
    if (token !== null) req.user = await accounts.userByToken(sha256(token));
    else {
      const name = req.session.user;
      req.user = name !== undefined ? await accounts.user(name) : null;
    }
    if (req.user === null && isApi(req)) return reply.code(401).send(SIGN_IN_FIRST);
  });
};

export const authPlugin = fp(auth, { name: 'opendoor-auth', fastify: '5.x' });

/**
 * What the router itself refuses, before any hook (a URL with bad %-escapes, a path parameter over
 * the longest name anything can have): on /api/ a stranger still gets 401 — only a Bearer token can
 * be checked this early, the session is not read yet — otherwise 400 or 404, never the path echoed.
 */
export function routerRefusal(accounts: AccountStore) {
  return (e: Error & { code?: string }, req: FastifyRequest, reply: FastifyReply): void => {
    const token = bearer(req);
    void (token !== null ? accounts.userByToken(sha256(token)) : Promise.resolve(null))
      .catch(() => null)
      .then(async (user) => {
        if (user === null && isApi(req)) return reply.code(401).send(SIGN_IN_FIRST);
        if (e.code === 'FST_ERR_MAX_PARAM_LENGTH') return reply.code(404).send({ error: 'not found' });
        return reply.code(400).send({ error: 'bad request: malformed URL' });
      });
  };
}

/** Route guard: signed in (and, for `admin`, an admin); otherwise 401/redirect, or 403. */
export function requireRole(role: Role | 'any') {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (req.user === null) {
      if (isApi(req)) {
        await reply.code(401).send(SIGN_IN_FIRST);
        return;
      }
      await reply.redirect(`/login?next=${encodeURIComponent(req.url)}`);
      return;
    }
    if (role === 'admin' && req.user.role !== 'admin') {
      await reply
        .code(403)
        .send(isApi(req) ? { error: 'viewers may look, not change' } : 'Forbidden: viewers may look, not change');
    }
  };
}

/** Session requests that change something carry the CSRF token; token (Bearer) requests carry no cookie to abuse. */
export function csrfUnlessToken(app: FastifyInstance) {
  return (req: FastifyRequest, reply: FastifyReply, done: (e?: Error) => void): void => {
    if (bearer(req) !== null) {
      done();
      return;
    }
    app.csrfProtection(req, reply, done);
  };
}

/** A same-site path to go to after signing in (never another origin). */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) ? next : '/';
}

export async function signIn(accounts: AccountStore, username: string, password: string): Promise<UserRow | null> {
  const user = username.length <= 64 && password.length <= 1024 ? await accounts.user(username) : null;
  // the same work whether or not the user exists: the answer's time tells nothing
  const ok = await verifyPassword(password, user?.password ?? (await dummyHash()));
  return ok && user !== null ? user : null;
}

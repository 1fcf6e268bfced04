/**
 * GET /metrics: the metrics in Prometheus' text format, for a scraper with the metrics token
 * (`Authorization: Bearer TOKEN`; `serve --metrics-token` or OPENDOOR_METRICS_TOKEN). A server
 * started without a token has no metrics: 404, as for any unknown path. A missing or wrong token: 401.
 * The token is its own secret, apart from the users' API tokens: it reads figures, nothing else.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/store.js';
import type { ServeMetrics } from './metrics.js';

export interface MetricsAccess {
  metrics: ServeMetrics;
  token: string;
}

/** What a metrics token may be: 16 to 200 characters of a Bearer token (RFC 6750's token68). */
export const METRICS_TOKEN = /^[A-Za-z0-9._~+/-]{16,200}=*$/;

const digest = (s: string) => createHash('sha256').update(s).digest();

export function registerMetrics(app: FastifyInstance, store: Store, access: MetricsAccess | null): void {
  const expected = access !== null ? digest(access.token) : null;
  app.get('/metrics', async (req, reply) => {
    if (access === null || expected === null) return reply.code(404).send({ error: 'not found' });
    const given = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (given === undefined || !timingSafeEqual(digest(given), expected))
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="metrics"')
        .send({ error: 'send Authorization: Bearer METRICS_TOKEN' });
    const text = await access.metrics.scrape(store);
    return reply.header('cache-control', 'no-store').type(access.metrics.registry.contentType).send(text);
  });
}

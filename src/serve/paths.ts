/**
 * Where the dashboard's templates and static files are (copied beside the built code by `npm run
 * build`), and the static files' plugin: /static/* and the favicon.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

export const ASSETS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'assets');

export const staticFiles: FastifyPluginAsync = async (app) => {
  await app.register(fastifyStatic, { root: path.join(ASSETS, 'static'), prefix: '/static/', index: false });
  app.get('/favicon.ico', async (_req, reply) => reply.redirect('/static/icon.svg', 301));
};

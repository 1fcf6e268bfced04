/** Pages from the templates (assets/views, Eta, every value escaped), with the signed-in user and a CSRF token for their forms. */
import path from 'node:path';
import { Eta } from 'eta';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { accessText, serviceLabel } from '../output/wording.js';
import { ASSETS } from './paths.js';

/** The words the CLI and the reports use for the same facts (output/wording.ts). */
const WORDS = { access: accessText, service: serviceLabel };

const eta = new Eta({ views: path.join(ASSETS, 'views'), cache: true, autoEscape: true });

export async function render(req: FastifyRequest, reply: FastifyReply, view: string, data: object, code = 200) {
  const csrf = reply.generateCsrf();
  const html = eta.render(`./${view}`, { ...data, user: req.user, csrf, words: WORDS });
  return reply.code(code).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html);
}

/**
 * What people do with results: notes on a finding of a host and port (acknowledged, accepted risk,
 * open again) that outlive rescans; the diff of any two scans; downloads of a scan's report in every
 * format of the one table (src/report/formats.ts: HTML, Markdown, CSV, JSON and the CERT feeds) and its
 * owner letters (Markdown, one file).
 */
import { diffStored } from '../report/diff.js';
import { REPORT_FORMATS, reportFormat } from '../report/formats.js';
import { letterMarkdown, letters } from '../report/letters.js';
import { buildModel } from '../report/model.js';
import type { Store } from '../store/store.js';

import { saveNote } from './monitorApi.js';
import { render } from './render.js';
import { type Plugin, ref } from './schemas.js';

export const resultPageRoutes: Plugin<{ store: Store }> = async (app, { store }) => {
  app.post('/notes', { schema: { body: ref('noteBody') } }, async (req, reply) => {
    const { host } = await saveNote(store, req.body, req.user?.name ?? '');
    return reply.redirect(`/hosts/${encodeURIComponent(host)}`, 303);
  });

  app.get(
    '/diff',
    { schema: { querystring: { type: 'object', properties: { a: ref('scanId'), b: ref('scanId') } } } },
    async (req, reply) => {
      const { a, b } = req.query;
      const scans = (await store.listScans()).reverse();
      const d = a !== undefined && b !== undefined ? await diffStored(store, a, b) : null;
      if (typeof d === 'string') return render(req, reply, 'missing', { what: `scan ${d}` }, 404);
      return render(req, reply, 'diff', { scans, a: a ?? scans[1]?.id ?? '', b: b ?? scans[0]?.id ?? '', d });
    },
  );

  app.get(
    '/scans/:id/report.:format',
    {
      schema: {
        params: {
          type: 'object',
          required: ['id', 'format'],
          properties: { id: ref('scanId'), format: { type: 'string', enum: REPORT_FORMATS.map((f) => f.name) } },
        },
      },
    },
    async (req, reply) => {
      const { id, format } = req.params;
      const m = await buildModel(store, id);
      const f = reportFormat(format);
      if (m === null || f === undefined) return reply.code(404).send({ error: 'no such scan' });
      return reply
        .type(f.mediaType)
        .header('content-disposition', `attachment; filename="opendoor-${id}.${f.extension}"`)
        .send(f.render(m, { includeHoneypots: false }));
    },
  );

  app.get('/scans/:id/letters.md', { schema: { params: ref('scanParams') } }, async (req, reply) => {
    const { id } = req.params;
    const m = await buildModel(store, id);
    if (m === null) return reply.code(404).send({ error: 'no such scan' });
    const text = letters(m, [])
      .map((l) => letterMarkdown(l, id))
      .join('\n\n---\n\n');
    return reply
      .type('text/markdown; charset=utf-8')
      .header('content-disposition', `attachment; filename="opendoor-${id}-letters.md"`)
      .send(text);
  });
};

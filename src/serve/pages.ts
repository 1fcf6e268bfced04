/**
 * The pages people read: sign-in, the overview, scans (live progress), a scan (its services,
 * filtered, sorted and paged; its findings), a host across scans. Templates (assets/views, Eta)
 * escape every value; the only unescaped output is a template's own rendered body in the layout.
 */
import { serviceChanges } from '../report/diff.js';
import { REPORT_FORMATS } from '../report/formats.js';
import { DEPTHS } from '../probes/types.js';
import { CursorError, NOTE_STATES, SERVICE_SORTS, type Store } from '../store/store.js';
import { InputError } from '../util/errors.js';
import { SIGN_IN_PER_MINUTE, safeNext, signIn } from './auth.js';
import type { ScanLauncher } from './launcher.js';
import { overview } from './overview.js';
import { render } from './render.js';
import { PAGE_DEFAULT, type Plugin, ref, text } from './schemas.js';
import { trendChart } from './chart.js';

type Param = string | number | boolean | undefined;

/** A page's query string with some values changed (sort and paging links keep the filters). */
function withParams(q: object, changes: Record<string, Param>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...q, ...changes }) as Array<[string, Param]>)
    if (v !== undefined && v !== '' && k !== 'limit') p.set(k, String(v));
  return `?${p.toString()}`;
}

/** `next` of a query string, whatever it is (safeNext judges it). */
const nextOf = (query: unknown): unknown =>
  typeof query === 'object' && query !== null && 'next' in query ? query.next : undefined;

export const pageRoutes: Plugin<{ store: Store; launcher: ScanLauncher }> = async (app, { store, launcher }) => {
  app.get('/login', async (req, reply) =>
    render(req, reply, 'login', { next: safeNext(nextOf(req.query)), error: null }),
  );

  app.post(
    '/login',
    {
      config: { rateLimit: { max: SIGN_IN_PER_MINUTE, timeWindow: 60_000 } },
      schema: {
        body: {
          type: 'object',
          required: ['username', 'password'],
          properties: { username: text(256), password: text(4096), next: text(2048), _csrf: { type: 'string' } },
        },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const user = await signIn(store.accounts, b.username, b.password);
      if (user === null)
        return render(req, reply, 'login', { next: safeNext(b.next), error: 'Wrong user name or password.' }, 401);
      await req.session.regenerate(); // a new session id at sign-in: none planted before it survives
      req.session.user = user.name;
      return reply.redirect(safeNext(b.next), 303);
    },
  );

  app.post('/logout', async (req, reply) => {
    await req.session.destroy();
    return reply.redirect('/login', 303);
  });

  app.get('/', async (req, reply) => {
    const o = await overview(store);
    return render(req, reply, 'overview', { o, chart: trendChart(o.trend) });
  });

  app.get('/scans', async (req, reply) =>
    render(req, reply, 'scans', { scans: (await store.listScans()).reverse(), depths: DEPTHS, error: null, form: {} }),
  );

  app.post('/scans', { schema: { body: ref('scanForm') } }, async (req, reply) => {
    const b = req.body;
    try {
      const id = await launcher.start({
        targets: b.targets.split(/[\s,]+/).filter((t) => t !== ''),
        ...(b.ports !== undefined && b.ports.trim() !== '' ? { ports: b.ports.trim() } : {}),
        ...(b.depth !== undefined && b.depth !== '' ? { depth: b.depth } : {}),
      });
      return reply.redirect(`/scans/${encodeURIComponent(id)}`, 303);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      const scans = (await store.listScans()).reverse();
      return render(req, reply, 'scans', { scans, depths: DEPTHS, error: e.message, form: b }, 400);
    }
  });

  app.get(
    '/scans/:id',
    {
      schema: {
        params: { type: 'object', required: ['id'], properties: { id: text(64) } },
        querystring: ref('serviceQuery'),
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const q = req.query;
      const { limit, offset, ...filter } = q;
      // at once (serve's store reads on connections of their own)
      const [row, page, clusters] = await Promise.all([
        store.scan(id),
        store.servicesPage(id, limit, offset, filter).catch((e: unknown) => {
          if (e instanceof CursorError) return null;
          throw e;
        }),
        store.clusters.list(id),
      ]);
      if (row === null) return render(req, reply, 'missing', { what: `scan ${id}` }, 404);
      if (page === null)
        return render(req, reply, 'missing', { what: 'such page: its link was made for another list or sort' }, 400);
      const noted = await store.notes.forHosts(page.items.map((r) => r.host));
      const notes = Object.fromEntries(noted.map((n) => [`${n.host} ${n.port} ${n.finding}`, n.state]));
      return render(req, reply, 'scan', {
        scan: row,
        downloads: REPORT_FORMATS.map((f) => ({ name: f.name, label: f.label })),
        clusters,
        page,
        notes,
        q,
        sorts: SERVICE_SORTS,
        link: (changes: Record<string, Param>) => withParams(q, changes),
        limit: limit ?? PAGE_DEFAULT,
        // the rows' numbers: the offset the links carry, 0 on the first page however it was reached
        offset: page.prev === null && filter.before !== undefined ? 0 : offset,
      });
    },
  );

  app.get(
    '/hosts/:address',
    {
      schema: { params: ref('hostParams') },
    },
    async (req, reply) => {
      const { address } = req.params;
      const { items, total } = await store.hostRecords(address, 200, 0);
      // each record beside what changed since the same port's previous (older) record
      const rows = items.map((it, i) => {
        const older = items.slice(i + 1).find((o) => o.record.port === it.record.port);
        return { ...it, changes: older === undefined ? null : serviceChanges(older.record, it.record) };
      });
      // the findings of each port's newest record, with what people noted on them (it outlives rescans)
      const notes = new Map((await store.notes.forHosts([address])).map((n) => [`${n.port} ${n.finding}`, n]));
      const latest = new Map<number, (typeof items)[number]>();
      for (const it of items) if (!latest.has(it.record.port)) latest.set(it.record.port, it);
      const findings = [...latest.values()].flatMap((it) =>
        it.record.findings.map((f) => ({
          port: it.record.port,
          finding: f,
          note: notes.get(`${it.record.port} ${f.id}`) ?? null,
        })),
      );
      return render(req, reply, 'host', { address, rows, total, findings, states: NOTE_STATES });
    },
  );
};

/**
 * The dashboard's API at its edges, in this process (no socket): a stranger gets 401 on every /api/
 * path, unknown ones and unparseable bodies included, and 404 comes only after sign-in; a viewer's
 * POST is 403 before its body is read; an empty JSON body is accepted where a route takes none. Then
 * every route of the table fuzzed (paths, query strings, bodies, headers; as stranger, viewer and
 * admin): never a 500, a stack trace or a patient value, only the status codes docs/api.md lists.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { ROUTES, accessOf } from '../src/serve/routes.js';
import { type TestApp, startApp } from './harness/app.js';

/** A patient-like value planted in hostile input: no answer to a stranger or viewer, no log line, carries it. */
const MARK = 'DOE^JANE^7731';

let t: TestApp;
before(async () => {
  t = await startApp();
});
after(async () => t.close());

const as = (role: 'admin' | 'viewer') => ({ authorization: `Bearer ${t.tokens[role]}` });
const json = { 'content-type': 'application/json' };

test('a stranger: 401 on every /api/ path, unknown ones and unparseable bodies included; pages go to /login', async () => {
  const asks: InjectOptions[] = [
    { method: 'GET', url: '/api/v1/nosuch' },
    { method: 'GET', url: '/api/v2/scans' },
    { method: 'DELETE', url: '/api/v1/scans/scan-1' },
    { method: 'POST', url: '/api/v1/scans', headers: json, payload: '{' },
    { method: 'POST', url: '/api/v1/notes', headers: { 'content-type': 'text/x-unknown' }, payload: 'x' },
    { method: 'POST', url: '/api/v1/scans', headers: json, payload: 'x'.repeat(70 * 1024) },
    { method: 'GET', url: '/api/v1/scans/scan-1/services?limit=-1' },
    { method: 'GET', url: '/api/v1/scans', headers: { authorization: 'Bearer odt_not-a-token-at-all' } },
    { method: 'GET', url: `/api/v1/hosts/${'a'.repeat(300)}` },
    { method: 'GET', url: '/api/v1/scans/%E0%A4%A' },
  ];
  for (const ask of asks) {
    const r = await t.app.inject(ask);
    assert.equal(r.statusCode, 401, `${ask.method} ${ask.url}`);
    assert.deepEqual(r.json(), { error: 'sign in, or send Authorization: Bearer TOKEN' });
  }
  const page = await t.app.inject({ method: 'GET', url: '/scans/scan-1' });
  assert.equal(page.statusCode, 302);
  assert.match(page.headers.location ?? '', /^\/login\?next=/);
});

test('signed in: an unknown path is 404 naming no route; a viewer POST is 403 before its body is read', async () => {
  for (const url of ['/api/v1/nosuch', '/api/v1/scans/scan-1/nosuch', '/nosuch']) {
    const r = await t.app.inject({ method: 'GET', url, headers: as('viewer') });
    assert.equal(r.statusCode, 404, url);
    assert.deepEqual(r.json(), { error: 'not found' });
  }
  // numbers past a double's range coerce to Infinity: refused by the schema (was a 500)
  for (const url of [
    '/api/v1/scans?limit=1e309',
    '/api/v1/scans/scan-1/services?port=-1e309',
    '/api/v1/alerts?offset=1e309',
  ]) {
    const big = await t.app.inject({ method: 'GET', url, headers: as('viewer') });
    assert.equal(big.statusCode, 400, url);
  }
  const long = await t.app.inject({ method: 'GET', url: `/api/v1/hosts/${'a'.repeat(300)}`, headers: as('viewer') });
  assert.deepEqual([long.statusCode, long.json()], [404, { error: 'not found' }]);
  const r = await t.app.inject({ method: 'PUT', url: '/api/v1/scans', headers: as('admin') });
  assert.deepEqual([r.statusCode, r.json()], [404, { error: 'not found' }]);
  for (const payload of ['{', '']) {
    const v = await t.app.inject({
      method: 'POST',
      url: '/api/v1/scans',
      headers: { ...as('viewer'), ...json },
      payload,
    });
    assert.equal(v.statusCode, 403, payload);
  }
});

test('an empty JSON body where the route takes none (curl -X POST -H "Content-Type: application/json")', async () => {
  const made = await t.app.inject({
    method: 'POST',
    url: '/api/v1/monitors',
    headers: { ...as('admin'), ...json },
    payload: JSON.stringify({ name: 'nightly', targets: ['127.0.0.9'], schedule: '0 3 * * *', timezone: 'UTC' }),
  });
  assert.equal(made.statusCode, 201, made.body);
  const run = await t.app.inject({
    method: 'POST',
    url: '/api/v1/monitors/nightly/run',
    headers: { ...as('admin'), ...json },
    payload: '',
  });
  assert.deepEqual([run.statusCode, run.json()], [202, { monitor: 'nightly' }]);
  const none = await t.app.inject({
    method: 'POST',
    url: '/api/v1/monitors/nosuch/run',
    headers: { ...as('admin'), ...json },
  });
  assert.equal(none.statusCode, 404);
  // a route that takes a body still says which field is missing
  const scan = await t.app.inject({
    method: 'POST',
    url: '/api/v1/scans',
    headers: { ...as('admin'), ...json },
    payload: '',
  });
  assert.equal(scan.statusCode, 400);
  assert.match((scan.json() as { error: string }).error, /body/);
  // JSON is still parsed as Fastify does: prototype poisoning refused
  const poisoned = await t.app.inject({
    method: 'POST',
    url: '/api/v1/notes',
    headers: { ...as('admin'), ...json },
    payload: '{"__proto__":{"admin":true},"host":"127.0.0.7","port":104,"finding":"x","state":"open"}',
  });
  assert.equal(poisoned.statusCode, 400);
});

// ---- the fuzz ------------------------------------------------------------------------------------

const hostile = fc.constantFrom(
  MARK,
  '',
  ' ',
  '..',
  '../../etc/passwd',
  '%00',
  '\u0000',
  '\u202e',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '__proto__',
  'constructor',
  'a'.repeat(300),
  'b'.repeat(2000),
  '-1',
  '1e309',
  '99999999999999999999',
  'NaN',
  'true',
  'null',
  '[]',
  '{}',
  '127.0.0.7',
  'scan-1',
);
const text = fc.oneof(hostile, fc.string({ maxLength: 40 }), fc.integer().map(String));
const param = fc.oneof(fc.constant('scan-1'), fc.constant('127.0.0.7'), fc.constant('nightly'), text);
const queryKey = fc.oneof(
  fc.constantFrom('limit', 'offset', 'host', 'port', 'product', 'protocol', 'exposed', 'sort', 'desc', 'next'),
  fc.constantFrom('a', 'b', '__proto__', 'limit[]', 'q'),
  fc.string({ maxLength: 8 }),
);
const query = fc.array(fc.tuple(queryKey, text), { maxLength: 4 });
const bodyValue = fc.oneof(
  text,
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(text, { maxLength: 3 }),
  fc.constantFrom('0 3 * * *', 'UTC', 'Europe/Berlin', 'count', 'open', ['127.0.0.9'], 104, 'http://127.0.0.1:9/hook'),
);
const bodyKey = fc.constantFrom(
  'name',
  'targets',
  'schedule',
  'timezone',
  'ports',
  'depth',
  'webhook',
  'host',
  'port',
  'finding',
  'state',
  'note',
  'username',
  'password',
  '_csrf',
  '__proto__',
  'constructor',
);
const body = fc.oneof(
  fc.constant(undefined),
  fc.constant(''),
  fc.dictionary(bodyKey, bodyValue, { maxKeys: 6 }).map((o) => JSON.stringify(o)),
  fc.json({ maxDepth: 3 }),
  fc.constantFrom('{', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '['.repeat(5000)),
  fc.constantFrom('x'.repeat(70 * 1024), `name=${MARK}&targets=127.0.0.9`),
);
const contentType = fc.option(
  fc.oneof(
    fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/x-www-form-urlencoded',
      'text/plain',
      'multipart/form-data; boundary=x',
    ),
    fc.string({ maxLength: 20 }),
  ),
  { nil: undefined },
);
const route = fc.constantFrom(
  ...Object.keys(ROUTES),
  'GET /api/v1/nosuch',
  'GET /api/v2/scans',
  'POST /api/v1/scans/:id/nosuch',
  'DELETE /api/v1/scans/:id',
  'PUT /api/v1/monitors',
  'GET /api',
  'GET /api/v1/scans/%E0%A4%A',
  'GET /scans/%',
);
const method = fc.option(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'), {
  freq: 3,
  nil: undefined,
});
const role = fc.constantFrom('stranger', 'viewer', 'admin', 'bad-token', 'junk-cookie');

/** The answers docs/api.md lists, by who asks and what. */
const DOCUMENTED = [200, 201, 202, 204, 301, 302, 303, 400, 403, 404, 413, 415, 429, 503];

function allowed(who: string, m: string, pattern: string, url: string, known: boolean): number[] {
  const api = url.startsWith('/api/');
  const access = accessOf(m, pattern);
  if (api && (who === 'stranger' || who === 'bad-token' || who === 'junk-cookie')) return [401];
  if (!known) return DOCUMENTED;
  // an unknown path or method (signed in, or a page): 404, unless its body could not be read first
  if (access === undefined) return [404, 400, 413, 415];
  if (api && access === 'admin' && who === 'viewer') return [403];
  if (api) return m === 'GET' || m === 'HEAD' ? [200, 400, 404, 503] : [200, 201, 202, 204, 400, 404, 413, 415];
  // pages: a stranger goes to /login; forms answer 303, their CSRF check 403, sign-ins 429 past the limit
  if (access !== 'public' && (who === 'stranger' || who === 'bad-token' || who === 'junk-cookie')) return [302];
  return [200, 204, 301, 302, 303, 400, 403, 404, 413, 415, 429];
}

test('every route fuzzed as stranger, viewer and admin: no 500, no stack trace, no patient value, documented codes', async () => {
  const started = Date.now();
  let requests = 0;
  await fc.assert(
    fc.asyncProperty(fc.record({ route, method, param, param2: param, query, body, contentType, role }), async (c) => {
      const [routeMethod, pattern] = c.route.split(' ') as [string, string];
      const m = c.method ?? routeMethod;
      // params encoded: the path keeps its route's shape (an empty one makes it another path)
      const fill = [encodeURIComponent(c.param), encodeURIComponent(c.param2)];
      let i = 0;
      const path = pattern.replace(/:\w+|\*/g, () => fill[i++ % 2] ?? '');
      const qs = c.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
      const url = `${path}${qs !== '' ? `?${qs}` : ''}`;
      const headers: Record<string, string> = {
        ...(c.role === 'admin' || c.role === 'viewer' ? as(c.role) : {}),
        ...(c.role === 'bad-token' ? { authorization: `Bearer odt_${'x'.repeat(43)}` } : {}),
        ...(c.role === 'junk-cookie' ? { cookie: `opendoor_session=${encodeURIComponent(c.param)}` } : {}),
        ...(c.contentType !== undefined ? { 'content-type': c.contentType } : {}),
      };
      const canBody = m !== 'GET' && m !== 'HEAD';
      const r = await t.app.inject({
        method: m as InjectOptions['method'],
        url,
        headers,
        ...(canBody && c.body !== undefined ? { payload: c.body } : {}),
      });
      requests++;
      const where = `${c.role} ${m} ${url.slice(0, 200)} → ${r.statusCode} ${r.body.slice(0, 300)}`;
      const params = pattern.match(/:\w+/g)?.length ?? 0;
      const known = fill.slice(0, params).every((f) => f !== '' && f !== '.' && f !== '..' && f.length <= 256);
      // a param that is empty, . or .. makes it another path: any documented answer, but 401 on /api/ for a stranger
      const expected = allowed(c.role, m, known ? pattern : '(another path)', url, known);
      assert.ok(expected.includes(r.statusCode), `${where}: expected one of ${expected.join(', ')}`);
      if (r.statusCode === 503) assert.match(url, /\/events/, where);
      assert.doesNotMatch(r.body, /\n\s+at |\.(?:js|ts):\d+|Error:|Route \w+:\//, where);
      if (c.role !== 'admin') assert.ok(!r.body.includes(MARK), `${where}: the planted value came back`);
      if (r.statusCode >= 400 && r.body !== '' && r.headers['content-type']?.toString().startsWith('application/json'))
        assert.equal(typeof (r.json() as { error?: unknown }).error, 'string', where);
    }),
    { numRuns: 400, seed: Number(process.env['OPENDOOR_FUZZ_SEED'] ?? 20261206), includeErrorInReport: true },
  );
  assert.equal(requests, 400);
  assert.ok(!t.logs.some((l) => l.includes(MARK)), 'no log line carries the planted value');
  assert.ok(!t.logs.some((l) => /internal|serve: /.test(l)), `no request ended in a 500: ${t.logs.join('')}`);
  assert.ok(Date.now() - started < 60_000, 'bounded: under a minute');
});

/**
 * /api/v1/openapi.json against the one route table (serve/routes.ts): behind the API's sign-in;
 * an OpenAPI 3 document in its essential shape (Ajv: version, info, paths of operations, each with
 * its parameters and responses), every schema in it a schema Ajv compiles; every /api/ route of the
 * table in it with its method, path parameters, query, body and the answers responses.ts gives it
 * (plus 401, and 403 for admins' routes); nothing else in it (no page, no /metrics).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Ajv } from 'ajv';
import { pagingQuery, serviceQuery } from '../src/serve/schemas.js';
import { RESPONSES } from '../src/serve/responses.js';
import { ROUTES } from '../src/serve/routes.js';
import { type TestApp, startApp } from './harness/app.js';

let t: TestApp;
before(async () => {
  t = await startApp();
});
after(async () => t.close());

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema: object;
}
interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema: { required?: string[] } }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: object }> }>;
}
interface Doc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, object> };
}

/** What every OpenAPI 3.0 document has, as a JSON Schema: the shape a client generator relies on. */
const schemaObject = { type: 'object' };
const parameter = {
  type: 'object',
  required: ['name', 'in', 'schema'],
  properties: {
    name: { type: 'string', minLength: 1 },
    in: { enum: ['query', 'path', 'header', 'cookie'] },
    required: { type: 'boolean' },
    schema: schemaObject,
  },
  // a path parameter is always required (OpenAPI 3.0, 4.7.12)
  if: { properties: { in: { const: 'path' } } },
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then
  then: { required: ['required'], properties: { required: { const: true } } },
};
const media = { type: 'object', additionalProperties: { type: 'object', properties: { schema: schemaObject } } };
const operation = {
  type: 'object',
  required: ['responses'],
  properties: {
    operationId: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9]*$' },
    parameters: { type: 'array', items: parameter },
    requestBody: { type: 'object', required: ['content'], properties: { content: media } },
    responses: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: '^([1-5][0-9]{2}|[1-5]XX|default)$' },
      additionalProperties: {
        type: 'object',
        required: ['description'],
        properties: { description: { type: 'string' }, content: media },
      },
    },
  },
};
const OPENAPI_3 = {
  type: 'object',
  required: ['openapi', 'info', 'paths'],
  properties: {
    openapi: { type: 'string', pattern: '^3\\.0\\.\\d+$' },
    info: {
      type: 'object',
      required: ['title', 'version'],
      properties: { title: { type: 'string' }, version: { type: 'string' } },
    },
    paths: {
      type: 'object',
      propertyNames: { pattern: '^/' },
      additionalProperties: {
        type: 'object',
        propertyNames: { enum: ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] },
        additionalProperties: operation,
      },
    },
    components: { type: 'object' },
  },
};

let doc: Doc;

/** A schema with the document's shared components (`#/components/schemas/NAME`) put in place. */
function deref<T>(v: T): T {
  if (Array.isArray(v)) return v.map(deref) as T;
  if (typeof v !== 'object' || v === null) return v;
  const named = /^#\/components\/schemas\/(.+)$/.exec(String((v as { $ref?: unknown }).$ref ?? ''))?.[1];
  if (named !== undefined) return deref(doc.components?.schemas?.[named] as T);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deref(x)])) as T;
}
test('GET /api/v1/openapi.json: 401 for a stranger or a bad token, the document for a viewer', async () => {
  for (const headers of [{}, { authorization: 'Bearer odt_this-token-was-never-made' }]) {
    const r = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json', headers });
    assert.equal(r.statusCode, 401);
  }
  const r = await t.app.inject({
    method: 'GET',
    url: '/api/v1/openapi.json',
    headers: { authorization: `Bearer ${t.tokens.viewer}` },
  });
  assert.equal(r.statusCode, 200);
  assert.match(String(r.headers['content-type'] ?? ''), /^application\/json/);
  doc = r.json();
});

test('the document is OpenAPI 3 in its essential shape, and every schema in it compiles', () => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const valid = ajv.validate(OPENAPI_3, doc);
  assert.ok(valid, ajv.errorsText(ajv.errors, { separator: '\n' }));
  assert.equal(doc.info.title, 'opendoor');
  let compiled = 0;
  for (const [path, item] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(item)) {
      const schemas = [
        ...(op.parameters ?? []).map((p) => p.schema),
        ...Object.values(op.requestBody?.content ?? {}).map((m) => m.schema),
        ...Object.values(op.responses).flatMap((r) => Object.values(r.content ?? {}).map((m) => m.schema)),
      ];
      for (const s of schemas) {
        assert.doesNotThrow(() => ajv.compile(deref(s)), `${method} ${path}`);
        compiled++;
      }
    }
  assert.ok(compiled > 50, `${compiled} schemas`);
});

test('every /api/ route of the table is in it: method, path parameters, query, body, responses', () => {
  const api = Object.entries(ROUTES).filter(([k]) => k.includes(' /api/'));
  assert.ok(api.length >= 15);
  const missing: string[] = [];
  for (const [key, access] of api) {
    const [method = '', url = ''] = key.split(' ');
    const path = url.replace(/:(\w+)/g, '{$1}');
    const op = doc.paths[path]?.[method.toLowerCase()];
    if (op === undefined) {
      missing.push(key);
      continue;
    }
    const params = op.parameters ?? [];
    const named = (where: string) => params.filter((p) => p.in === where).map((p) => p.name);
    // the path's parameters, each required
    assert.deepEqual(named('path').sort(), [...url.matchAll(/:(\w+)/g)].map((m) => m[1]).sort(), key);
    assert.ok(
      params.filter((p) => p.in === 'path').every((p) => p.required === true),
      key,
    );
    const answers = RESPONSES[key];
    assert.ok(answers !== undefined, `responses.ts has ${key}`);
    // the query of every paged list, the services' filters too
    if (answers[200] !== undefined && JSON.stringify(answers[200]).includes('"offset"'))
      for (const q of Object.keys(pagingQuery.properties)) assert.ok(named('query').includes(q), `${key} ?${q}`);
    if (key === 'GET /api/v1/scans/:id/services')
      assert.deepEqual(named('query').sort(), Object.keys(serviceQuery.properties).sort());
    if (key === 'DELETE /api/v1/optouts') assert.deepEqual(named('query'), ['scope']);
    // a body where the route takes one, with its required fields
    const body = deref(op.requestBody?.content['application/json']?.schema)?.required;
    const bodies: Record<string, string[]> = {
      'POST /api/v1/scans': ['targets'],
      'POST /api/v1/monitors': ['name', 'schedule', 'timezone'],
      'POST /api/v1/notes': ['host', 'port', 'finding', 'state'],
      'POST /api/v1/optouts': ['scope'],
    };
    assert.deepEqual(body, bodies[key], `${key}: its body`);
    // its answers, and who is asking: 401, 403 on admins' routes
    const codes = [...Object.keys(answers), '401', ...(access === 'admin' ? ['403'] : [])].sort();
    assert.deepEqual(Object.keys(op.responses).sort(), codes, key);
    for (const [code, r] of Object.entries(op.responses)) {
      assert.ok(r.description.length > 0, `${key} ${code}`);
      if (code !== '204') assert.ok(r.content !== undefined, `${key} ${code}: its schema`);
    }
  }
  assert.deepEqual(missing, [], `not in the document: ${missing.join('; ')}`);
  // nothing but the API: no page, no /metrics, nothing the table does not have
  const shown = Object.entries(doc.paths).flatMap(([p, item]) =>
    Object.keys(item).map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`),
  );
  assert.deepEqual(shown.sort(), api.map(([k]) => k).sort());
  // each operation named once, for client generators
  const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
  assert.equal(new Set(ids).size, api.length);
  assert.equal(doc.paths['/api/v1/scans/{id}/services']?.get?.operationId, 'getScansByIdServices');
  assert.equal(doc.paths['/api/v1/openapi.json']?.get?.operationId, 'getOpenapiJson');
  // the lists walked by cursor: after and before asked, next and prev answered
  for (const p of ['/api/v1/scans/{id}/services', '/api/v1/hosts/{address}']) {
    const op = doc.paths[p]?.get;
    const query = (op?.parameters ?? []).filter((q) => q.in === 'query').map((q) => q.name);
    assert.ok(query.includes('after') && query.includes('before'), p);
    const answer = deref(op?.responses['200']?.content?.['application/json']?.schema) as { required?: string[] };
    assert.deepEqual(
      answer.required?.filter((f) => f === 'next' || f === 'prev'),
      ['next', 'prev'],
      p,
    );
  }
  // the SSE route says what it streams
  assert.ok(doc.paths['/api/v1/scans/{id}/events']?.get?.responses['200']?.content?.['text/event-stream']);
});

test("what the routes answer is what the document says they answer (each body valid against its status's schema)", async () => {
  const ajv = new Ajv({ strict: false });
  const asks: Array<{
    method: 'GET' | 'POST' | 'DELETE';
    url: string;
    route: string;
    body?: object;
    as?: 'admin' | 'viewer';
  }> = [
    { method: 'GET', url: '/api/v1/scans', route: '/api/v1/scans' },
    { method: 'GET', url: '/api/v1/scans/scan-1', route: '/api/v1/scans/{id}' },
    { method: 'GET', url: '/api/v1/scans/nope', route: '/api/v1/scans/{id}' },
    { method: 'GET', url: '/api/v1/scans/scan-1/services?sort=port', route: '/api/v1/scans/{id}/services' },
    { method: 'GET', url: '/api/v1/hosts/127.0.0.7', route: '/api/v1/hosts/{address}' },
    { method: 'GET', url: '/api/v1/hosts/127.0.0.7?before=bm90IG91cnM', route: '/api/v1/hosts/{address}' },
    {
      method: 'GET',
      url: '/api/v1/scans/scan-1/services?after=bm90IG91cnM&before=bm90IG91cnM',
      route: '/api/v1/scans/{id}/services',
    },
    { method: 'POST', url: '/api/v1/scans', route: '/api/v1/scans', body: { targets: ['127.0.0.9'] }, as: 'admin' },
    { method: 'POST', url: '/api/v1/scans', route: '/api/v1/scans', body: { targets: ['300.1.1.1'] }, as: 'admin' },
    {
      method: 'POST',
      url: '/api/v1/monitors',
      route: '/api/v1/monitors',
      body: {
        name: 'doc',
        targets: ['127.0.0.9'],
        schedule: '0 3 * * *',
        timezone: 'UTC',
        webhook: 'http://127.0.0.1:9/',
      },
      as: 'admin',
    },
    { method: 'GET', url: '/api/v1/monitors', route: '/api/v1/monitors' },
    { method: 'POST', url: '/api/v1/monitors/nosuch/run', route: '/api/v1/monitors/{name}/run', as: 'admin' },
    { method: 'GET', url: '/api/v1/alerts', route: '/api/v1/alerts' },
    {
      method: 'POST',
      url: '/api/v1/notes',
      route: '/api/v1/notes',
      body: { host: '127.0.0.7', port: 104, finding: 'dicom-open-query', state: 'acknowledged' },
      as: 'admin',
    },
    { method: 'POST', url: '/api/v1/optouts', route: '/api/v1/optouts', body: { scope: '192.0.2.0/24' }, as: 'admin' },
    { method: 'POST', url: '/api/v1/optouts', route: '/api/v1/optouts', body: { scope: '192.0.2.0/24' }, as: 'admin' },
    { method: 'GET', url: '/api/v1/optouts', route: '/api/v1/optouts' },
    { method: 'DELETE', url: '/api/v1/optouts?scope=192.0.2.0/24', route: '/api/v1/optouts', as: 'admin' },
    { method: 'DELETE', url: '/api/v1/optouts?scope=192.0.2.0/24', route: '/api/v1/optouts', as: 'admin' },
    { method: 'GET', url: '/api/v1/campaigns', route: '/api/v1/campaigns' },
    { method: 'GET', url: '/api/v1/campaigns/nosuch', route: '/api/v1/campaigns/{name}' },
    { method: 'POST', url: '/api/v1/monitors', route: '/api/v1/monitors', body: { name: 'x' }, as: 'viewer' },
  ];
  const seen = new Set<string>();
  for (const a of asks) {
    const token = t.tokens[a.as ?? 'viewer'];
    const r = await t.app.inject({
      method: a.method,
      url: a.url,
      headers: {
        authorization: `Bearer ${token}`,
        ...(a.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(a.body !== undefined ? { payload: JSON.stringify(a.body) } : {}),
    });
    const answer = doc.paths[a.route]?.[a.method.toLowerCase()]?.responses[String(r.statusCode)];
    assert.ok(answer !== undefined, `${a.method} ${a.url}: ${r.statusCode} is documented`);
    seen.add(`${a.method} ${a.route} ${r.statusCode}`);
    const schema = answer.content?.['application/json']?.schema;
    if (schema === undefined) {
      assert.equal(r.body, '', `${a.method} ${a.url}: no body`);
      continue;
    }
    const validate = ajv.compile(deref(schema));
    assert.ok(validate(r.json()), `${a.method} ${a.url} ${r.statusCode}: ${ajv.errorsText(validate.errors)}`);
  }
  assert.ok(seen.size >= 20, [...seen].join('; '));
  for (const k of ['GET /api/v1/scans/{id}/services 400', 'GET /api/v1/hosts/{address} 400']) assert.ok(seen.has(k), k);
});

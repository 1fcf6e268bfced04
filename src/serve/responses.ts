/**
 * What every route of the JSON API answers, as JSON Schema, by its key in the route table
 * (routes.ts): the OpenAPI document's responses (openapi.ts attaches each to its route as the route
 * is added). Records are described by their main fields and stay open (`additionalProperties`):
 * docs/records.md is their full description, and readers must ignore fields they do not know.
 * These schemas describe; they do not serialize (openapi.ts keeps JSON.stringify), so no field a
 * handler sends is ever dropped by them.
 */

const str = { type: 'string' } as const;
const nstr = { type: ['string', 'null'] } as const;
const num = { type: 'integer' } as const;
const bool = { type: 'boolean' } as const;

/** An open object: its main fields named, the rest allowed. */
const open = (description: string, properties: Record<string, object> = {}) =>
  ({ type: 'object', description, additionalProperties: true, properties }) as const;

const error = (description: string) => ({
  description,
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'string', description: 'what went wrong, never the value sent' } },
});

const paged = (description: string, item: object) => ({
  description,
  type: 'object',
  required: ['items', 'total', 'limit', 'offset'],
  properties: { items: { type: 'array', items: item }, total: num, limit: num, offset: num },
});

const cursor = (description: string) => ({ type: ['string', 'null'], description }) as const;

/** A page that is also walked by cursor: `next` and `prev` beside it. */
const cursorPaged = (description: string, item: object) => {
  const p = paged(description, item);
  return {
    ...p,
    required: [...p.required, 'next', 'prev'],
    properties: {
      ...p.properties,
      next: cursor('the page after this one as `after=NEXT`; null on the last page'),
      prev: cursor('the page before this one as `before=PREV`; null on the first page'),
    },
  };
};

const noBody = (description: string) => ({ description, type: 'null' });

const scanRecord = open('a `scan` record, as `opendoor scans --json` gives it', {
  type: { type: 'string', enum: ['scan'] },
  id: str,
  started: str,
  finished: nstr,
  state: { type: 'string', enum: ['queued', 'running', 'interrupted', 'done'] },
  targets: num,
  hostsDone: num,
  optedOut: num,
  services: num,
  exposed: num,
  patients: num,
  studies: num,
  instances: num,
  elapsedMs: num,
});

const serviceRecord = open('a `service` record (docs/records.md)', {
  type: { type: 'string', enum: ['service'] },
  host: str,
  port: num,
  transport: { type: 'string', enum: ['tcp', 'tls'] },
  protocol: str,
  product: nstr,
  findings: { type: 'array', items: open('a finding: id, severity, title, remediation, evidence') },
});

const optOutRecord = open('an `optout` record', {
  type: { type: 'string', enum: ['optout'] },
  scope: str,
  kind: { type: 'string', enum: ['block', 'asn'] },
  reason: str,
  by: str,
  created: str,
});

const campaignHead = open('a campaign: its notices, services and closed share', {
  type: { type: 'string', enum: ['campaign'] },
  name: str,
  scanId: str,
  created: str,
  notices: num,
  services: num,
  closed: num,
  closedRate: { type: 'number' },
});

const notFound = (what: string) => error(`no such ${what}`);
const badInput = error('bad input: the field and the rule');
const badCursor = error('a cursor not made for this list and sort, or `after` and `before` together');

/** The answers of each API route, by status code. */
export const RESPONSES: Readonly<Record<string, Record<number, object>>> = {
  'GET /api/v1/scans': { 200: paged('the scans', scanRecord) },
  'POST /api/v1/scans': {
    201: { description: 'started or queued', type: 'object', required: ['scanId'], properties: { scanId: str } },
    400: badInput,
  },
  'GET /api/v1/scans/:id': {
    200: open("the scan's `summary` record (docs/records.md) with its state", {
      type: { type: 'string', enum: ['summary'] },
      scanId: str,
      state: str,
      targets: num,
      services: num,
      exposedServices: num,
      patients: num,
      studies: num,
      instances: num,
      elapsedMs: num,
    }),
    404: notFound('scan'),
  },
  'GET /api/v1/scans/:id/services': {
    200: cursorPaged("the scan's service records", serviceRecord),
    400: badCursor,
    404: notFound('scan'),
  },
  'GET /api/v1/scans/:id/events': {
    200: {
      description: 'server-sent events: `progress` (a scan record) every second, then `end` ({state})',
      content: { 'text/event-stream': { schema: str } },
    },
    404: notFound('scan'),
    503: error('too many progress streams open'),
  },
  'GET /api/v1/hosts/:address': {
    200: cursorPaged(
      "the host's records across scans, newest first",
      open('one record and its scan', { scanId: str, started: str, record: serviceRecord }),
    ),
    400: badCursor,
  },
  'GET /api/v1/monitors': {
    200: paged(
      'the monitors',
      open('a monitor: its scan request, schedule and next run', {
        name: str,
        schedule: str,
        timezone: str,
        webhook: nstr,
        email: { type: 'array', items: str },
        nextRun: nstr,
      }),
    ),
  },
  'POST /api/v1/monitors': {
    201: {
      description: "made or changed; `secret` (the webhook's signing key) shown once, when it is made",
      type: 'object',
      required: ['name'],
      properties: { name: str, secret: str },
    },
    400: badInput,
  },
  'POST /api/v1/monitors/:name/run': {
    202: { description: 'run started', type: 'object', required: ['monitor'], properties: { monitor: str } },
    404: notFound('monitor'),
  },
  'GET /api/v1/alerts': {
    200: paged(
      "the monitors' alerts, newest first",
      open('an alert and its delivery', {
        id: str,
        monitor: str,
        scanId: str,
        previousScanId: str,
        created: str,
        delivered: nstr,
        attempts: num,
        alert: open('the alert as the webhook receives it (docs/exports.md)'),
      }),
    ),
  },
  'POST /api/v1/notes': { 204: noBody('kept'), 400: badInput },
  'GET /api/v1/campaigns': {
    200: {
      description: 'the campaigns',
      type: 'object',
      required: ['items', 'total'],
      properties: { items: { type: 'array', items: campaignHead }, total: num },
    },
  },
  'GET /api/v1/campaigns/:name': {
    200: open('`campaign show --json`: the campaign and its notices', {
      ...campaignHead.properties,
      items: { type: 'array', items: open('a notice with its services') },
    }),
    404: notFound('campaign'),
  },
  'POST /api/v1/campaigns/:name/recheck': {
    202: {
      description: 'recheck started (`started`: false when one was running already)',
      type: 'object',
      required: ['campaign', 'started'],
      properties: { campaign: str, started: bool },
    },
    404: notFound('campaign'),
  },
  'GET /api/v1/optouts': { 200: paged('the opt-out list', optOutRecord) },
  'POST /api/v1/optouts': {
    200: open('already there: its reason replaced', { ...optOutRecord.properties, state: str }),
    201: open('added', { ...optOutRecord.properties, state: str }),
    400: badInput,
  },
  'DELETE /api/v1/optouts': { 204: noBody('removed'), 400: badInput, 404: error('not on the opt-out list') },
  'GET /api/v1/openapi.json': { 200: open('this document (OpenAPI 3)') },
};

/** The answers every API route may give besides its own: who is asking decides these. */
export function accessResponses(access: 'viewer' | 'admin'): Record<number, object> {
  const r: Record<number, object> = { 401: error('no valid session or token') };
  if (access === 'admin') r[403] = error('a viewer may look, not change');
  return r;
}

/**
 * The schemas more than one route uses (or that describe what the API takes), each written once,
 * registered once by `addSchemas` (app.addSchema, by `$id`) and named by routes with `$ref`. The
 * type provider reads the same objects (`as const`, SchemaRefs): a handler's params, query and body
 * have the types of what Fastify validated, with no cast.
 */
import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyInstance } from 'fastify';
import type { FromSchema } from 'json-schema-to-ts';
import { NOTE_STATES, SERVICE_SORTS } from '../store/store.js';

export const PAGE_DEFAULT = 50;
export const PAGE_MAX = 500;

/**
 * A whole number from min to max. Ajv coerces "1e309" to Infinity and then skips its bounds for a
 * number that is not finite: refused here (found by test/api.test.ts's fuzz: a 500 before).
 */
export const int = (minimum: number, maximum: number) =>
  ({ type: 'integer', minimum, maximum, not: { enum: [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY] } }) as const;

/** A string of at most `maxLength` characters. */
export const text = (maxLength: number) => ({ type: 'string', maxLength }) as const;

const paging = {
  limit: { ...int(1, PAGE_MAX), default: PAGE_DEFAULT },
  offset: { ...int(0, 1_000_000_000), default: 0 },
} as const;

/** The query string of every list: limit (1…500, 50 by default) and offset. */
export const pagingQuery = { $id: 'paging', type: 'object', properties: paging } as const;

/** The store's opaque cursor (services and a host's records). */
const cursor = { type: 'string', maxLength: 512, pattern: '^[A-Za-z0-9_-]+$' } as const;

/** The page after a page's `next`, or before its `prev` (one of them: both are a 400, from the store). */
const cursors = {
  after: { ...cursor, description: "a page's `next`: the page after it" },
  before: { ...cursor, description: "a page's `prev`: the page before it" },
} as const;

/** A host's records across scans: paged by offset or by cursor. */
export const hostRecordsQuery = {
  $id: 'hostRecordsQuery',
  type: 'object',
  properties: { ...paging, ...cursors },
} as const;

/** A scan's services: paged (by offset or cursor), filtered, sorted (the API's list and the scan page). */
export const serviceQuery = {
  $id: 'serviceQuery',
  type: 'object',
  additionalProperties: false,
  properties: {
    ...paging,
    exposed: { type: 'boolean' },
    protocol: text(32),
    product: text(128),
    port: int(0, 65535),
    host: text(255),
    sort: { type: 'string', enum: [...SERVICE_SORTS] },
    desc: { type: 'boolean' },
    ...cursors,
  },
} as const;

/** A scan's id, as `opendoor scan` makes them and the store keys them. */
const SCAN_ID = { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' } as const;
export const scanId = { $id: 'scanId', ...SCAN_ID } as const;

/** `/…/:id` of a scan (the id inline, not by $ref: OpenAPI generators keep a nested $ref of a $ref as it is). */
export const scanParams = { $id: 'scanParams', type: 'object', required: ['id'], properties: { id: SCAN_ID } } as const;

/** `/…/:address` of a host (a host name is at most 253 characters). */
export const hostParams = {
  $id: 'hostParams',
  type: 'object',
  required: ['address'],
  properties: { address: text(255) },
} as const;

/** A scan's scope and options, as the API, the scans form and a monitor name them. */
const targets = { type: 'array', minItems: 1, maxItems: 10_000, items: text(255) } as const;
const portsText = text(4096);
const depth = text(16);

/** POST /api/v1/scans. */
export const scanRequest = {
  $id: 'scanRequest',
  type: 'object',
  additionalProperties: false,
  required: ['targets'],
  properties: {
    targets,
    ports: { anyOf: [portsText, { type: 'array', maxItems: 65536, items: int(1, 65535) }] },
    depth,
  },
} as const;

/** POST /scans: the same as a form (targets in one text, separated by spaces, commas or lines). */
export const scanForm = {
  $id: 'scanForm',
  type: 'object',
  required: ['targets'],
  properties: { targets: text(65536), ports: portsText, depth, _csrf: { type: 'string' } },
} as const;

/** POST /api/v1/monitors. */
export const monitorBody = {
  $id: 'monitorBody',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'schedule', 'timezone'],
  properties: {
    name: text(64),
    targets,
    campaign: text(64),
    email: { type: 'array', maxItems: 20, items: text(254) },
    ports: portsText,
    depth,
    schedule: text(128),
    timezone: text(64),
    webhook: text(2048),
  },
} as const;

/** POST /monitors: the same as a form (every field text). */
export const monitorForm = {
  $id: 'monitorForm',
  type: 'object',
  required: ['name', 'targets', 'schedule', 'timezone'],
  properties: {
    name: text(2048),
    targets: text(65536),
    ports: text(2048),
    depth: text(2048),
    schedule: text(2048),
    timezone: text(2048),
    webhook: text(2048),
    email: text(2048),
    _csrf: text(2048),
  },
} as const;

/** A note on a host's finding: POST /api/v1/notes and the host page's form. */
export const noteBody = {
  $id: 'noteBody',
  type: 'object',
  required: ['host', 'port', 'finding', 'state'],
  properties: {
    host: text(255),
    port: int(0, 65535),
    finding: text(64),
    state: { type: 'string', enum: [...NOTE_STATES] },
    note: { type: 'string', maxLength: 4000, default: '' },
    _csrf: { type: 'string' },
  },
} as const;

/** Every shared schema, in the order they are added. */
const SCHEMAS = [
  pagingQuery,
  hostRecordsQuery,
  serviceQuery,
  scanId,
  scanParams,
  hostParams,
  scanRequest,
  scanForm,
  monitorBody,
  monitorForm,
  noteBody,
] as const;

/** The shared schemas as the type provider takes them (a mutable tuple). */
type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type SchemaRefs = Mutable<typeof SCHEMAS>;

/** `{ $ref: 'ID#' }` of a shared schema: a typo is a compile error. */
export const ref = <Id extends SchemaRefs[number]['$id']>(id: Id) => ({ $ref: `${id}#` }) as const;

export type NoteBody = FromSchema<typeof noteBody>;

/** A plugin of the dashboard, its options and its routes typed from their schemas (the shared ones by $ref). */
export type Plugin<Options extends object = Record<never, never>> = FastifyPluginAsyncJsonSchemaToTs<{
  ValidatorSchemaOptions: { references: SchemaRefs };
  Options: Options;
}>;

/** Registers every shared schema once, on the application (every plugin sees them). */
export function addSchemas(app: FastifyInstance): void {
  for (const s of SCHEMAS) app.addSchema(s);
}

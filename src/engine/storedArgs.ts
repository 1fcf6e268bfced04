/**
 * A scan's arguments as the store gives them back (JSON text), checked once into the plan's
 * arguments (PlanArgs) or found not to be one (a merge's, a row from an older or damaged store).
 * Light: the job (job.ts) and the readers that only want a scan's scope or depth (diff, report,
 * notices, rechecks) load this without the engine.
 */
import { DEPTHS, type Depth } from '../probes/types.js';
import type { PlanArgs } from './plan.js';

type Json = Record<string, unknown>;

const isObject = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);
const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x);
const isIntList = (x: unknown): x is number[] => Array.isArray(x) && x.every(isInt);
const isStringList = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');
const isDepth = (x: unknown): x is Depth => typeof x === 'string' && (DEPTHS as readonly string[]).includes(x);
const isFile = (x: unknown): x is { file: string; text: string } =>
  isObject(x) && typeof x['file'] === 'string' && typeof x['text'] === 'string';

/** The stored JSON as an object (anything else, or text that is no JSON: an empty one). */
function parse(json: string): Json {
  try {
    const v: unknown = JSON.parse(json);
    return isObject(v) ? v : {};
  } catch {
    return {};
  }
}

function targetsOf(x: unknown): PlanArgs['targets'] | null {
  if (!Array.isArray(x)) return null;
  const out: PlanArgs['targets'] = [];
  for (const t of x) {
    if (!isObject(t) || typeof t['spec'] !== 'string') return null;
    const ports = t['ports'];
    if (ports !== null && !isIntList(ports)) return null;
    out.push({ spec: t['spec'], ports });
  }
  return out;
}

function shardOf(x: unknown): PlanArgs['shard'] | undefined {
  if (x === null) return null;
  return isObject(x) && isInt(x['k']) && isInt(x['n']) ? { k: x['k'], n: x['n'] } : undefined;
}

function attributionOf(x: unknown): PlanArgs['attribution'] | null {
  if (x === undefined) return undefined;
  if (!isObject(x)) return null;
  const out: NonNullable<PlanArgs['attribution']> = {};
  const { asnData, contacts, rdap } = x;
  if (asnData !== undefined) {
    if (!isFile(asnData)) return null;
    out.asnData = { file: asnData.file, text: asnData.text };
  }
  if (contacts !== undefined) {
    if (!isFile(contacts)) return null;
    out.contacts = { file: contacts.file, text: contacts.text };
  }
  if (rdap !== undefined) {
    if (!isObject(rdap) || !isInt(rdap['ttlS']) || !isInt(rdap['rate'])) return null;
    const url = rdap['url'];
    if (url !== null && typeof url !== 'string') return null;
    out.rdap = { url, ttlS: rdap['ttlS'], rate: rdap['rate'] };
  }
  return out;
}

/** The stored arguments as a plan's, every field checked; null when they are not a plan's. */
export function planArgsOf(json: string): PlanArgs | null {
  const a = parse(json);
  const targets = targetsOf(a['targets']);
  const shard = shardOf(a['shard']);
  const attribution = attributionOf(a['attribution']);
  const { excludes, ports, depth, seed, stream } = a;
  const ints = ['timeoutMs', 'concurrency', 'rate', 'maxQueries', 'countBudgetMs'].map((k) => a[k]);
  const optional = [a['connectTimeoutMs'], a['hostTimeoutMs']];
  if (
    targets === null ||
    shard === undefined ||
    attribution === null ||
    !isStringList(excludes) ||
    !isIntList(ports) ||
    !isDepth(depth) ||
    !isStringList(a['aeTitles']) ||
    typeof seed !== 'string' ||
    !/^[0-9a-f]{1,16}$/i.test(seed) ||
    (stream !== undefined && typeof stream !== 'boolean') ||
    !ints.every(isInt) ||
    !optional.every((x) => x === undefined || isInt(x))
  )
    return null;
  const [timeoutMs, concurrency, rate, maxQueries, countBudgetMs] = ints.filter(isInt);
  const [connectTimeoutMs, hostTimeoutMs] = optional;
  if (
    timeoutMs === undefined ||
    concurrency === undefined ||
    rate === undefined ||
    maxQueries === undefined ||
    countBudgetMs === undefined
  )
    return null;
  return {
    targets,
    excludes,
    ports,
    depth,
    timeoutMs,
    ...(isInt(connectTimeoutMs) ? { connectTimeoutMs } : {}),
    ...(isInt(hostTimeoutMs) ? { hostTimeoutMs } : {}),
    concurrency,
    rate,
    aeTitles: a['aeTitles'],
    maxQueries,
    countBudgetMs,
    shard,
    seed,
    ...(stream !== undefined ? { stream } : {}),
    ...(attribution !== undefined ? { attribution } : {}),
  };
}

/** The depth a scan was asked for, whatever else its arguments hold (null when they do not say). */
export function storedDepth(json: string): string | null {
  const depth = parse(json)['depth'];
  return typeof depth === 'string' ? depth : null;
}

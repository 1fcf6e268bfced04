/**
 * A scan's options as the user spells them (`opendoor scan`, and every scan the dashboard starts) →
 * a validated plan (every bad value is a UsageError before any probe).
 */
import { UsageError } from '../util/errors.js';
import type { Io } from '../util/io.js';
import { type AttributionCliOptions, attributionArgs } from '../attribution/options.js';
import { readText } from '../targets/input.js';
import { planArgsFrom, type PlanArgs } from './plan.js';
import { parseShard } from '../targets/space.js';
import { isValidAeTitle } from '../probes/dicom/aeTitles.js';
import { DEPTHS, type Depth } from '../probes/types.js';
import type { InputEntry } from '../targets/entry.js';
import { parseInputText } from '../targets/inputFile.js';
import { DEFAULT_PORTS, PortSyntaxError, parsePorts } from '../targets/ports.js';
import { TargetSyntaxError, parseTarget, type TargetSpec } from '../targets/spec.js';

export interface ScanCliOptions extends AttributionCliOptions {
  inputList?: string;
  exclude?: string;
  excludeFile?: string;
  ports?: string;
  depth: string;
  json?: boolean;
  output?: string;
  aeTitles?: string;
  concurrency: string;
  rate: string;
  timeout: string;
  connectTimeout?: string;
  hostTimeout?: string;
  maxQueries: string;
  countBudget: string;
  db?: string;
  resume?: string;
  enqueue?: boolean;
  shard?: string;
  seed?: string;
  verbose?: boolean;
  debug?: boolean;
  quiet?: boolean;
}

export function intOption(name: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  return Number(value);
}

function specs(list: string, where: string): TargetSpec[] {
  return list
    .split(/[\s,]+/)
    .filter((t) => t !== '')
    .map((t) => {
      try {
        return parseTarget(t);
      } catch (e) {
        if (e instanceof TargetSyntaxError) throw new UsageError(`${where}: ${e.message}`);
        throw e;
      }
    });
}

function aeTitlesFrom(file: string | undefined, stdin: () => string): string[] {
  if (file === undefined) return [];
  const titles: string[] = [];
  readText(file, 'AE title file', stdin)
    .split('\n')
    .forEach((raw, i) => {
      const t = raw.replace(/\r$/, '').trim();
      if (t === '' || t.startsWith('#')) return;
      if (!isValidAeTitle(t))
        throw new UsageError(`${file}:${i + 1}: not a valid AE title (1-16 printable ASCII characters, no backslash)`);
      titles.push(t);
    });
  return titles;
}

export function planArgs(targetArgs: string[], o: ScanCliOptions, io: Io): PlanArgs {
  if (!(DEPTHS as readonly string[]).includes(o.depth))
    throw new UsageError(`--depth must be one of ${DEPTHS.join(', ')}, got "${o.depth}"`);
  let ports: number[];
  try {
    ports = o.ports !== undefined ? parsePorts(o.ports) : [...DEFAULT_PORTS];
  } catch (e) {
    if (e instanceof PortSyntaxError) throw new UsageError(`--ports ${e.message}`);
    throw e;
  }
  const targets: InputEntry[] = specs(targetArgs.join(' '), 'target').map((spec) => ({ spec, ports: null }));
  const stream = o.inputList === '-';
  if (stream && targets.length > 0)
    throw new UsageError('-iL - (targets streamed from stdin) cannot be combined with targets on the command line');
  if (stream && o.shard !== undefined)
    throw new UsageError('--shard needs a target space known in advance; shard the sweeper instead (zmap --shards)');
  if (o.inputList !== undefined && !stream) {
    // one at a time: spreading a list of a million arguments overflows the stack
    for (const entry of parseInputText(o.inputList, readText(o.inputList, 'target file', io.stdin)))
      targets.push(entry);
  }
  if (targets.length === 0 && !stream)
    throw new UsageError('no targets: give addresses, ranges, CIDRs or hostnames, or -iL FILE');
  const excludes = o.exclude !== undefined ? specs(o.exclude, '--exclude') : [];
  if (o.excludeFile !== undefined) {
    readText(o.excludeFile, 'exclude file', io.stdin)
      .split('\n')
      .forEach((raw, i) => {
        const line = raw.replace(/#.*$/, '').trim();
        if (line !== '') excludes.push(...specs(line, `${o.excludeFile}:${i + 1}`));
      });
  }
  const shard = o.shard === undefined ? null : parseShard(o.shard);
  if (o.shard !== undefined && shard === null)
    throw new UsageError(`--shard must be K/N with 1 <= K <= N, got "${o.shard}"`);
  if (o.seed !== undefined && !/^[0-9a-f]{1,16}$/i.test(o.seed))
    throw new UsageError(`--seed must be 1 to 16 hexadecimal digits, got "${o.seed}"`);
  const attribution = attributionArgs(o, io);
  return planArgsFrom(targets, excludes, {
    ports,
    depth: o.depth as Depth,
    timeoutMs: intOption('timeout', o.timeout, 50, 600000),
    ...(o.connectTimeout !== undefined
      ? { connectTimeoutMs: intOption('connect-timeout', o.connectTimeout, 50, 600000) }
      : {}),
    ...(o.hostTimeout !== undefined ? { hostTimeoutMs: intOption('host-timeout', o.hostTimeout, 100, 86400000) } : {}),
    concurrency: intOption('concurrency', o.concurrency, 1, 4096),
    rate: intOption('rate', o.rate, 1, 100000),
    aeTitles: aeTitlesFrom(o.aeTitles, io.stdin),
    maxQueries: intOption('max-queries', o.maxQueries, 1, 10000000),
    countBudgetMs: intOption('count-budget', o.countBudget, 100, 86400000),
    shard,
    ...(o.seed !== undefined ? { seed: o.seed.toLowerCase() } : {}),
    ...(stream ? { stream: true } : {}),
    ...(attribution !== undefined ? { attribution } : {}),
  });
}

/**
 * `opendoor scan`: turn options into a validated ScanOptions (every bad value is a UsageError
 * before any probe), run it, and write records: JSON Lines and/or the human table.
 */
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { runScan, newScanId } from '../engine/scan.js';
import { renderTable } from '../output/table.js';
import type { ServiceRecord } from '../output/records.js';
import { isValidAeTitle } from '../probes/dicom/aeTitles.js';
import { DEPTHS, type Depth } from '../probes/types.js';
import { InputFileError, parseInputText, type InputEntry } from '../targets/inputFile.js';
import { DEFAULT_PORTS, PortSyntaxError, parsePorts } from '../targets/ports.js';
import { TargetSyntaxError, parseTarget, type TargetSpec } from '../targets/spec.js';
import { createLogger, type LogLevel } from '../util/log.js';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface ScanCliOptions {
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
  maxQueries: string;
  countBudget: string;
  verbose?: boolean;
  debug?: boolean;
  quiet?: boolean;
}

function readText(file: string, what: string, stdin: () => string): string {
  try {
    return file === '-' ? stdin() : readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new UsageError(`cannot read ${what} ${file}: ${code}`);
  }
}

function intOption(name: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${value}"`);
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
      if (!isValidAeTitle(t)) throw new UsageError(`${file}:${i + 1}: not a valid AE title (1-16 printable ASCII characters, no backslash)`);
      titles.push(t);
    });
  return titles;
}

export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  stdin: () => string;
}

export async function scanCommand(targetArgs: string[], o: ScanCliOptions, io: Io): Promise<number> {
  if (!(DEPTHS as readonly string[]).includes(o.depth)) throw new UsageError(`--depth must be one of ${DEPTHS.join(', ')}, got "${o.depth}"`);
  let ports: number[];
  try {
    ports = o.ports !== undefined ? parsePorts(o.ports) : [...DEFAULT_PORTS];
  } catch (e) {
    if (e instanceof PortSyntaxError) throw new UsageError(`--ports ${e.message}`);
    throw e;
  }
  const targets: InputEntry[] = specs(targetArgs.join(' '), 'target').map((spec) => ({ spec, ports: null }));
  if (o.inputList !== undefined) {
    try {
      targets.push(...parseInputText(o.inputList, readText(o.inputList, 'target file', io.stdin)));
    } catch (e) {
      if (e instanceof InputFileError) throw new UsageError(e.message);
      throw e;
    }
  }
  if (targets.length === 0) throw new UsageError('no targets: give addresses, ranges, CIDRs or hostnames, or -iL FILE');
  const excludes = o.exclude !== undefined ? specs(o.exclude, '--exclude') : [];
  if (o.excludeFile !== undefined) {
    readText(o.excludeFile, 'exclude file', io.stdin)
      .split('\n')
      .forEach((raw, i) => {
        const line = raw.replace(/#.*$/, '').trim();
        if (line !== '') excludes.push(...specs(line, `${o.excludeFile}:${i + 1}`));
      });
  }
  const level: LogLevel = o.debug === true ? 'debug' : o.verbose === true ? 'info' : o.quiet === true ? 'error' : 'warn';
  const log = createLogger(level, io.stderr);
  const aeTitles = aeTitlesFrom(o.aeTitles, io.stdin);
  const concurrency = intOption('concurrency', o.concurrency, 1, 4096);
  const rate = intOption('rate', o.rate, 1, 100000);
  const timeoutMs = intOption('timeout', o.timeout, 50, 600000);
  const maxQueries = intOption('max-queries', o.maxQueries, 1, 10000000);
  const countBudgetMs = intOption('count-budget', o.countBudget, 100, 86400000);

  let file: WriteStream | null = null;
  if (o.output !== undefined) {
    file = createWriteStream(o.output, { flags: 'w' });
    await new Promise<void>((resolve, reject) => {
      file?.once('open', () => resolve());
      file?.once('error', (e: NodeJS.ErrnoException) => reject(new UsageError(`cannot write ${o.output}: ${e.code ?? 'error'}`)));
    });
  }
  const records: ServiceRecord[] = [];
  const emit = (rec: object) => {
    const line = `${JSON.stringify(rec)}\n`;
    if (o.json === true) io.stdout(line);
    file?.write(line);
  };
  const scanId = newScanId();
  log.info(`scan ${scanId}: ${targets.length} target specs, ${ports.length} ports, depth ${o.depth}`);
  const summary = await runScan(
    {
      targets,
      excludes,
      ports,
      depth: o.depth as Depth,
      timeoutMs,
      concurrency,
      rate,
      aeTitles,
      maxQueries,
      countBudgetMs,
      log,
      onService: (r) => {
        if (o.json !== true) records.push(r);
        emit(r);
      },
    },
    scanId,
  );
  emit(summary);
  if (o.json !== true) io.stdout(renderTable(records, summary));
  if (file !== null) await new Promise<void>((resolve) => file?.end(() => resolve()));
  return 0;
}

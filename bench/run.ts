/**
 * `npm run bench`: opendoor against nmap's dicom-ping on the same local servers, in one run,
 * interleaved (this machine is shared and noisy: read the ratios, not the absolute times).
 */
import { spawn } from 'node:child_process';
import { CLI } from '../test/harness/cli.js';
import { FLEET, startFleet } from '../test/harness/fleet.js';
import { DEFAULT_PORTS } from '../src/targets/ports.js';
import { cappedBench } from './capped.js';
import { countBench } from './count.js';
import { startBench } from './start.js';
import { memoryBench, sweepBench } from './sweep.js';
import { resumeBench } from './resume.js';
import { storeBench, workerMemoryBench } from './store.js';
import { MUTE_HOSTS, workersBench, workersSweepBench } from './workers.js';
import { dashboardBench } from './dashboard.js';
import { auditBench } from './audit.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);

interface Timed {
  ms: number;
  stdout: string;
}

function timed(cmd: string, args: string[]): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.on('error', reject);
    child.on('close', () => resolve({ ms: performance.now() - started, stdout }));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

interface Scenario {
  name: string;
  targets: string[];
  opendoorArgs: string[];
}

async function measure(s: Scenario): Promise<string[]> {
  const ports = DEFAULT_PORTS.join(',');
  const nmapTimes: number[] = [];
  const odTimes: number[] = [];
  let nmapFound = 0;
  let odFound = 0;
  let odExtra = '';
  for (let i = 0; i < RUNS; i++) {
    const n = await timed('nmap', ['-sT', '-Pn', '-n', '-p', ports, '--script', 'dicom-ping', ...s.targets]);
    nmapTimes.push(n.ms);
    nmapFound = (n.stdout.match(/DICOM Service Provider discovered/g) ?? []).length;
    const o = await timed(process.execPath, [CLI, 'scan', ...s.targets, '--json', ...s.opendoorArgs]);
    odTimes.push(o.ms);
    const recs = o.stdout
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            type: string;
            protocol?: string;
            dicom?: { calledAe: string | null } | null;
            tls?: unknown;
          },
      );
    odFound = recs.filter((r) => r.protocol === 'dicom').length;
    const withAe = recs.filter((r) => r.dicom?.calledAe !== null && r.dicom?.calledAe !== undefined).length;
    const tls = recs.filter((r) => r.tls !== null && r.tls !== undefined).length;
    odExtra = `${withAe} AE titles, ${tls} TLS`;
  }
  const nm = median(nmapTimes);
  const od = median(odTimes);
  return [
    s.name,
    `${Math.round(nm)}`,
    `${Math.round(od)}`,
    (nm / od).toFixed(1),
    `${nmapFound}`,
    `${odFound} (${odExtra})`,
  ];
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')).join('\n');
}

/** BENCH_ONLY=start,detect,audit,resume,sweep,store,workers,workers-sweep,memory,count,capped,dashboard runs those parts only (default: all but memory). */
const ONLY = new Set((process.env['BENCH_ONLY'] ?? '').split(',').filter((x) => x !== ''));
const part = (name: string): boolean =>
  ONLY.size === 0 ? name !== 'memory' || process.env['BENCH_MEMORY'] === '1' : ONLY.has(name);

async function main(): Promise<void> {
  if (part('start'))
    process.stdout.write(
      `\nStart-up: medians of 11 interleaved runs, Node ${process.version}\n\n${table(startBench())}\n`,
    );
  if (['detect', 'audit', 'resume', 'sweep', 'store', 'workers'].some(part)) await withFleet();
  if (part('workers-sweep')) {
    process.stderr.write('bench: one process, one worker, two workers over 131,072 closed targets ...\n');
    process.stdout.write(
      `\nWorkers, sweep-heavy: 131,072 targets, closed port 9, PostgreSQL store; median of ${RUNS}\n\n${table(await workersSweepBench())}\n`,
    );
  }
  if (part('memory')) {
    process.stderr.write('bench: memory (131,072, 524,288, 1,048,576 targets; a minute) ...\n');
    process.stdout.write(
      `\nMemory: closed port 9 on every target\n\n${table(await memoryBench(['127.16.0.0/15', '127.64.0.0/13', '127.32.0.0/12']))}\n`,
    );
    process.stderr.write('bench: memory of one worker over 1,048,576 targets ...\n');
    process.stdout.write(
      `\nOne worker, 1,048,576 targets queued (closed port 9)\n\n${table(await workerMemoryBench())}\n`,
    );
  }
  if (part('dashboard')) {
    process.stdout.write(
      `\nDashboard: opendoor serve on SQLite and PostgreSQL, 100,000 and 1,000,000 services, autocannon in a second process (4 connections, ${process.env['BENCH_DASHBOARD_SECONDS'] ?? 5} s a route)\n\n${table(await dashboardBench())}\n`,
    );
  }
  if (part('count') && process.env['BENCH_COUNT'] !== '0') await counting();
  if (part('capped') && process.env['BENCH_COUNT'] !== '0') {
    const sizes = (process.env['BENCH_CAPPED_SIZES'] ?? '1000,10000').split(',').map(Number);
    process.stdout.write(
      `\nCounting behind a C-FIND cap (Orthanc LimitFindResults; busy archives, 200 studies a date, names skewed): opendoor exact vs findscu's one query; time ratio = opendoor / findscu\n\n${table(await cappedBench(sizes, [25, 100]))}\n`,
    );
  }
}

async function withFleet(): Promise<void> {
  process.stderr.write('bench: starting the local fleet (127.0.77.2-10) ...\n');
  const fleet = await startFleet();
  try {
    const all = ['127.0.77.2-10'];
    const noTarpit = Object.values(FLEET).filter((h) => h !== FLEET.tarpit);
    const scenarios: Scenario[] = [
      { name: '9 hosts incl. tarpit, default depth', targets: all, opendoorArgs: [] },
      { name: '8 hosts, no tarpit, default depth', targets: noTarpit, opendoorArgs: [] },
      { name: '8 hosts, no tarpit, --depth detect', targets: noTarpit, opendoorArgs: ['--depth', 'detect'] },
    ];
    const rows = [
      ['scenario', 'nmap dicom-ping ms', 'opendoor ms', 'nmap/opendoor', 'nmap DICOM found', 'opendoor DICOM found'],
    ];
    if (part('detect')) {
      for (const s of scenarios) rows.push(await measure(s));
      process.stdout.write(
        `\nDetection: median of ${RUNS} interleaved runs, ports ${DEFAULT_PORTS.join(',')}; opendoor default --timeout 3000\n\n${table(rows)}\n`,
      );
    }
    if (part('audit')) {
      process.stderr.write('bench: audit time, this build against a baseline build (building it: a minute) ...\n');
      process.stdout.write(
        `\nAudit time: the same world of stacks, this build and a baseline commit (BENCH_BASELINE), median of ${RUNS} interleaved runs\n\n${table(await auditBench(RUNS))}\n`,
      );
    }
    if (part('resume'))
      process.stdout.write(
        `\nResume: kill -9 at a random moment, --resume, compare with a straight run\n\n${table(await resumeBench(3))}\n`,
      );
    const range = process.env['BENCH_SWEEP_RANGE'] ?? '127.0.0.0/16';
    if (part('sweep') && range !== 'none') {
      process.stderr.write(`bench: sweeping ${range} (the fleet is inside it) ...\n`);
      process.stdout.write(`\nSweep of ${range}, default ports, one run each\n\n${table(await sweepBench(range))}\n`);
    }
    if (part('store')) {
      process.stderr.write('bench: store backends (SQLite, PostgreSQL) ...\n');
      const r = process.env['BENCH_STORE_RANGE'] ?? range;
      process.stdout.write(`\nStore: SQLite vs PostgreSQL (a local server)\n\n${table(await storeBench(r))}\n`);
    }
    if (part('workers')) {
      process.stderr.write('bench: one process, one worker, two workers on network-bound work ...\n');
      process.stdout.write(
        `\nWorkers, network-bound: the fleet's archives (default depth: counting) among ${MUTE_HOSTS} mute servers, --timeout 500, --concurrency 4; median of ${RUNS}\n\n${table(await workersBench('127.0.77.2-10'))}\n`,
      );
    }
  } finally {
    await fleet.stop();
  }
}

async function counting(): Promise<void> {
  process.stderr.write('bench: counting (first run generates 20,000 synthetic instances: a few minutes) ...\n');
  const patients = Number(process.env['BENCH_PATIENTS'] ?? 200);
  const shape = { patients, studiesPerPatient: 2, seriesPerStudy: 5, instancesPerSeries: 10 };
  const countRows = await countBench(shape);
  process.stdout.write(
    `\nCounting: Orthanc holds ${patients * 100} instances (${patients} patients x 2 studies x 5 series x 10 instances), dcmqrscp the first 1,000 (its index file is capped at 32 MiB); times include process start\n\n${table(countRows)}\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});

/**
 * Workers against one process, on one PostgreSQL store (a real server started here), in one run:
 *
 * - `workers-sweep`: 131,072 closed targets (port 9): one `scan` process, then the same scan queued
 *   and run by one worker, then by two. Sweep-heavy: what a worker's overhead per slice costs.
 * - `workers`: a count-heavy, network-bound job: the fleet's archives at the default depth (count)
 *   among mute servers that accept and never answer (each costs its probe's timeouts), with
 *   `--concurrency 4` (the hosts a process or a worker probes at once): one process, one worker,
 *   two workers.
 *
 * Runs alternate (process, 1 worker, 2 workers, again), medians of BENCH_RUNS; the workers' time is
 * from their start to the last one's exit (the ratios), and with the `--enqueue` before it.
 */
import { runCli } from '../test/harness/cli.js';
import { startMuteHosts } from '../test/harness/mute.js';
import { startPostgres, type Postgres } from '../test/harness/postgres.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
/**
 * Mute servers in the network-bound job (BENCH_MUTE_HOSTS). 120 since a tarpit costs one timeout
 * again (a mute server costs a third of what it did): the job takes ~16 s in one process, as 40
 * did before, so it stays bound by the network rather than by the workers' start (with 40 it now
 * takes ~5.5 s, of which a worker's start and its last poll are a large part).
 */
export const MUTE_HOSTS = Number(process.env['BENCH_MUTE_HOSTS'] ?? 120);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function timedCli(args: string[]): Promise<number> {
  const started = performance.now();
  const r = await runCli(args);
  if (r.code !== 0) throw new Error(`opendoor ${args[0]} failed: ${r.stderr}`);
  return performance.now() - started;
}

interface Figures {
  process: number[];
  workers: Map<number, number[]>;
  /** The same runs with their `scan --enqueue`. */
  withEnqueue: Map<number, number[]>;
  services: Map<string, string>;
}

/** Service and summary counts of the database's latest scan, as `scans --json` gives them. */
async function counts(db: string): Promise<string> {
  const r = await runCli(['scans', '--db', db, '--json']);
  const row = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
  return `${row['state']} ${row['hostsDone']}/${row['targets']} hosts, ${row['services']} services, ${row['exposed']} exposed, ${row['patients']} patients`;
}

async function compare(pg: Postgres, scan: string[], workers: readonly number[]): Promise<Figures> {
  const f: Figures = {
    process: [],
    workers: new Map(workers.map((n) => [n, []])),
    withEnqueue: new Map(workers.map((n) => [n, []])),
    services: new Map(),
  };
  for (let i = 0; i < RUNS; i++) {
    const one = await pg.database();
    f.process.push(await timedCli(['scan', ...scan, '--db', one, '--json', '--quiet']));
    f.services.set('process', await counts(one));
    for (const n of workers) {
      const db = await pg.database();
      const enqueue = await timedCli(['scan', ...scan, '--db', db, '--enqueue', '--quiet']);
      const started = performance.now();
      await Promise.all(Array.from({ length: n }, () => timedCli(['worker', '--db', db, '--until-idle', '--quiet'])));
      f.workers.get(n)?.push(performance.now() - started);
      f.withEnqueue.get(n)?.push(performance.now() - started + enqueue);
      f.services.set(`${n} worker${n > 1 ? 's' : ''}`, await counts(db));
    }
  }
  return f;
}

function rows(f: Figures): string[][] {
  const p = median(f.process);
  const out = [['run', 'ms (median)', 'with --enqueue', 'speed vs one process', 'speed vs one worker', 'stored']];
  out.push(['one process (scan)', p.toFixed(0), '', '1.00', '', f.services.get('process') ?? '']);
  const w1 = median(f.workers.get(1) ?? []);
  for (const [n, ms] of f.workers) {
    const m = median(ms);
    const name = `${n} worker${n > 1 ? 's' : ''}`;
    const e = median(f.withEnqueue.get(n) ?? []);
    out.push([
      name,
      m.toFixed(0),
      `${e.toFixed(0)} (${(p / e).toFixed(2)}x)`,
      (p / m).toFixed(2),
      (w1 / m).toFixed(2),
      f.services.get(name) ?? '',
    ]);
  }
  return out;
}

/** 131,072 closed targets (127.16.0.0/15, port 9): a process, one worker, two workers. */
export async function workersSweepBench(range = '127.16.0.0/15'): Promise<string[][]> {
  const pg = await startPostgres('127.0.88.12');
  try {
    const scan = [
      range,
      '-p',
      '9',
      '--depth',
      'detect',
      '--rate',
      '100000',
      '--concurrency',
      '64',
      '--timeout',
      '1000',
    ];
    return rows(await compare(pg, scan, [1, 2]));
  } finally {
    await pg.stop();
  }
}

/** Mute servers among the fleet: network-bound work at count depth, 4 hosts at once per process or worker. */
export async function workersBench(fleetRange: string, mute = MUTE_HOSTS): Promise<string[][]> {
  const [pg, hosts] = await Promise.all([startPostgres('127.0.88.10'), startMuteHosts('127.0.66', mute)]);
  try {
    const scan = [fleetRange, `127.0.66.1-${mute}`, '--timeout', '500', '--concurrency', '4', '--seed', 'be0c4'];
    return rows(await compare(pg, scan, [1, 2]));
  } finally {
    await hosts.stop();
    await pg.stop();
  }
}

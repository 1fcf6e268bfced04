/**
 * The dashboard under load, on both backends at two sizes (100,000 and 1,000,000 service records
 * in the latest scan by default; BENCH_DASHBOARD_SIZES, BENCH_DASHBOARD_BACKENDS): the store
 * filled (dashboardFill.ts), `opendoor serve` on it, and autocannon in a second process asking
 * each route for a few seconds with 4 connections. autocannon reports p97.5, not p95. Pages: the
 * first, the one at 90 % depth by cursor (what the "next" links use), the one before it by cursor
 * (what the "previous" links use), the same by offset (for
 * comparison only: an offset skips index entries one by one), the overview; then again while a
 * sweep runs (SQLite: in serve's process; PostgreSQL: queued, run by a worker) and records are
 * written into another scan (a host every 5 ms). PostgreSQL: the test harness's server.
 * Targets: p97.5 under 100 ms at 100,000 services, under 200 ms at 1,000,000.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { startCli } from '../test/harness/cli.js';
import { type Postgres, startPostgres } from '../test/harness/postgres.js';
import { startServe } from '../test/harness/serve.js';
import { fillStore, writeWhile } from './dashboardFill.js';

const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
const SECONDS = Number(process.env['BENCH_DASHBOARD_SECONDS'] ?? 5);
const SIZES = (process.env['BENCH_DASHBOARD_SIZES'] ?? '100000,1000000').split(',').map(Number);
const BACKENDS = (process.env['BENCH_DASHBOARD_BACKENDS'] ?? 'sqlite,postgres').split(',');

interface Cannon {
  latency: { p50: number; p97_5: number; p99: number };
  requests: { average: number };
  non2xx: number;
  errors: number;
}

function cannon(url: string, token: string): Promise<Cannon> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [AUTOCANNON, '-c', '4', '-d', String(SECONDS), '-j', '-H', `authorization=Bearer ${token}`, url],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.on('error', reject);
    child.on('close', () => {
      try {
        resolve(JSON.parse(out) as Cannon);
      } catch {
        reject(new Error(`autocannon: ${out.slice(0, 200)}`));
      }
    });
  });
}

const HEADER = ['backend', 'services', 'route', 'first ms', 'p50 ms', 'p97.5 ms', 'req/s', 'target'];

async function oneStore(backend: string, db: string, n: number, rows: string[][]): Promise<void> {
  const label = n.toLocaleString('en-US');
  process.stderr.write(`bench: dashboard, ${backend}, filling ${label} records ...\n`);
  const f = await fillStore(db, n);
  rows.push([backend, label, `(filled in ${(f.fillMs / 1000).toFixed(1)} s)`, '', '', '', '', '']);
  const target = n <= 100_000 ? 100 : 200;
  const serve = await startServe('127.0.95.1', ['--db', db, '--rate', '100000', '--timeout', '500']);
  let worker: ChildProcess | null = null;
  try {
    const deep = `after=${f.deep.after}&offset=${f.deep.offset}`;
    const back = `before=${f.deep.before}&offset=${f.deep.offset - 50}`;
    const at = `${(f.deep.offset / 1000).toLocaleString('en-US')}k`;
    const measure = async (name: string, route: string, bound: number | null): Promise<void> => {
      const t0 = performance.now();
      const first = await fetch(`${serve.base}${route}`, { headers: { authorization: `Bearer ${f.token}` } });
      await first.arrayBuffer();
      const firstMs = performance.now() - t0;
      if (first.status !== 200) throw new Error(`${route}: HTTP ${first.status}`);
      const c = await cannon(`${serve.base}${route}`, f.token);
      const ok = c.non2xx === 0 && c.errors === 0;
      rows.push([
        backend,
        label,
        name,
        firstMs.toFixed(0),
        String(c.latency.p50),
        String(c.latency.p97_5),
        c.requests.average.toFixed(0),
        bound === null ? (ok ? '(comparison)' : 'errors') : ok && c.latency.p97_5 < bound ? `< ${bound} yes` : 'NO',
      ]);
    };
    const pages = async (during: string): Promise<void> => {
      await measure(`services page, first${during}`, '/scans/scan-big', target);
      await measure(`services page at ${at}, by cursor${during}`, `/scans/scan-big?${deep}`, target);
      await measure(`services page before ${at}, by cursor${during}`, `/scans/scan-big?${back}`, target);
      await measure(`API services, first 100${during}`, '/api/v1/scans/scan-big/services?limit=100', target);
      await measure(
        `API services at ${at}, by cursor${during}`,
        `/api/v1/scans/scan-big/services?limit=100&${deep}`,
        target,
      );
      await measure(`overview${during}`, '/', target);
    };
    await pages('');
    await measure(
      `API services at ${at}, by offset`,
      `/api/v1/scans/scan-big/services?limit=100&offset=${f.deep.offset}`,
      null,
    );
    // the same while a sweep runs and records are written
    const started = await serve.api('/api/v1/scans', {
      method: 'POST',
      token: f.token,
      body: JSON.stringify({ targets: ['127.96.0.0/12'], depth: 'detect' }),
    });
    if (started.status !== 201) throw new Error(`starting a scan: HTTP ${started.status}`);
    const { scanId } = (await started.json()) as { scanId: string };
    if (backend === 'postgres') worker = startCli(['worker', '--db', db, '--quiet']);
    const writer = writeWhile(db);
    await pages(', during a sweep');
    const written = await writer.stop();
    const scan = (await (await serve.api(`/api/v1/scans/${scanId}`, { token: f.token })).json()) as {
      state?: string;
      targets?: number;
    };
    const progress = (await (await serve.api('/api/v1/scans?limit=500', { token: f.token })).json()) as {
      items: Array<{ id: string; hostsDone?: number }>;
    };
    const done = progress.items.find((s) => s.id === scanId)?.hostsDone ?? '?';
    rows.push([
      backend,
      label,
      `(during: the sweep ${scan.state ?? '?'}, ${String(done)} of 1,048,576 hosts done; ${written} records written meanwhile)`,
      '',
      '',
      '',
      '',
      '',
    ]);
  } finally {
    if (worker !== null && worker.exitCode === null) {
      const w = worker;
      const exited = new Promise((r) => w.once('exit', r));
      w.kill('SIGTERM');
      await exited;
    }
    await serve.stop();
  }
}

export async function dashboardBench(): Promise<string[][]> {
  const rows = [HEADER];
  const pgServer: Postgres | null = BACKENDS.includes('postgres') ? await startPostgres('127.0.95.2') : null;
  try {
    for (const backend of BACKENDS)
      for (const n of SIZES) {
        const dir = mkdtempSync(path.join(os.tmpdir(), 'opendoor-bench-dash-'));
        try {
          const db = backend === 'postgres' ? await (pgServer as Postgres).database() : path.join(dir, 'dash.db');
          await oneStore(backend, db, n, rows);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }
  } finally {
    await pgServer?.stop();
  }
  return rows;
}

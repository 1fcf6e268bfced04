/**
 * Many machines, one store: a scan queued in a real PostgreSQL and run by worker processes over the
 * loopback fleet equals the same scan on one machine, service for service — with a worker killed
 * by SIGKILL mid-slice (its slice taken up by another within 60 s), and with a worker drained by
 * SIGTERM. Each slice is handed out once unless its worker died.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { openQueue } from '../src/queue/queue.js';
import { createLogger } from '../src/util/log.js';
import { runCli, startCli } from './harness/cli.js';
import { digest, oneMachineRun } from './harness/db.js';
import { startFleet, type Fleet } from './harness/fleet.js';
import { type Postgres, startPostgres } from './harness/postgres.js';
import { removeDir, tempDir } from './harness/procs.js';

/** The fleet inside a /24 (256 steps: 64 slices of 4), so three workers share it. */
const TARGETS = ['127.0.77.0/24'];
const COMMON = ['--depth', 'access', '--timeout', '1000', '--concurrency', '8', '--rate', '100000', '--seed', 'c0ffee'];

interface Worker {
  child: ChildProcess;
  exited: Promise<number | null>;
  stderr: () => string;
}

/** Every worker started, killed after the suite whatever happened (a hung one must not hold the run). */
const started: ChildProcess[] = [];

function worker(db: string, extra: string[] = []): Worker {
  const child = startCli(['worker', '--db', db, '-v', ...extra]);
  started.push(child);
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, exited, stderr: () => stderr };
}

async function query<T>(db: string, sql: string): Promise<T[]> {
  const c = new pg.Client(db);
  await c.connect();
  try {
    return (await c.query(sql)).rows as T[];
  } finally {
    await c.end();
  }
}

/** Slices held right now, by worker (its id ends with the process id). */
const held = (db: string) =>
  query<{ slice: number; worker: string }>(db, "SELECT slice, worker FROM jobs WHERE state = 'running'");

async function enqueue(db: string): Promise<string> {
  const r = await runCli(['scan', ...TARGETS, ...COMMON, '--db', db, '--enqueue', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const rec = JSON.parse(r.stdout) as { type: string; scanId: string; state: string; slices: number };
  assert.equal(rec.type, 'scan');
  assert.equal(rec.state, 'queued');
  assert.equal(rec.slices, 64);
  return rec.scanId;
}

async function scanState(db: string): Promise<{ state: string; hostsDone: number; targets: number }> {
  const r = await runCli(['scans', '--db', db, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as {
    state: string;
    hostsDone: number;
    targets: number;
  };
}

describe('workers on a queue in PostgreSQL', () => {
  let fleet: Fleet;
  let server: Postgres;
  let dir: string;
  let baseline: string[];
  before(async () => {
    [fleet, server] = await Promise.all([startFleet(), startPostgres()]);
    dir = tempDir('workers');
    baseline = await oneMachineRun([...TARGETS, ...COMMON], path.join(dir, 'one-machine.db'));
  });
  after(async () => {
    for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await fleet?.stop();
    await server?.stop();
    if (dir !== undefined) removeDir(dir);
  });

  test('three workers, one killed with SIGKILL mid-slice: done, equal to one machine, taken up within 60 s', async (t) => {
    const db = await server.database();
    await enqueue(db);
    const workers = [worker(db, ['--until-idle']), worker(db, ['--until-idle']), worker(db, ['--until-idle'])];
    const victim = workers[Math.floor(Math.random() * workers.length)] as Worker;
    const pid = String(victim.child.pid);
    // a random point: once the victim holds a slice, after 0–1.5 s more
    let slice: number | undefined;
    for (const until = Date.now() + 30_000; slice === undefined && Date.now() < until; await sleep(20))
      slice = (await held(db)).find((h) => h.worker.split('-').at(-2) === pid)?.slice;
    assert.ok(slice !== undefined, 'the victim took a slice');
    await sleep(Math.random() * 1500);
    slice = (await held(db)).find((h) => h.worker.split('-').at(-2) === pid)?.slice ?? slice;
    victim.child.kill('SIGKILL');
    const killedAt = Date.now();
    let takenUp: number | null = null;
    const codes = await Promise.all(
      workers
        .filter((w) => w !== victim)
        .map(async (w) => {
          const watch = (async () => {
            while (takenUp === null && w.child.exitCode === null) {
              const rows = await query<{ state: string; worker: string | null }>(
                db,
                `SELECT state, worker FROM jobs WHERE slice = ${slice}`,
              );
              const r = rows[0];
              if (r !== undefined && (r.state === 'done' || (r.worker !== null && !r.worker.includes(`-${pid}-`))))
                takenUp = Date.now() - killedAt;
              await sleep(100);
            }
          })();
          const code = await w.exited;
          await watch;
          return code;
        }),
    );
    assert.deepEqual(codes, [0, 0], workers.map((w) => w.stderr()).join('\n'));
    assert.ok(takenUp !== null && takenUp < 60_000, `slice ${slice} taken up after ${takenUp} ms`);
    t.diagnostic(`the dead worker's slice was taken up ${takenUp} ms after SIGKILL`);
    const s = await scanState(db);
    assert.equal(s.state, 'done');
    assert.equal(s.hostsDone, 256, 'every host counted once');
    assert.equal(s.targets, 256);
    assert.deepEqual(await digest(db), baseline);
  });

  test('a worker that dies between taking a job and holding its slice: the job is handed out again, the scan ends equal', async (t) => {
    const db = await server.database();
    await enqueue(db);
    // the dead worker: it took a job from the real queue, then nothing (its process went before it held the slice)
    const queue = await openQueue(
      db,
      createLogger('error', () => undefined),
    );
    const orphan = await queue.fetch();
    await queue.stop();
    assert.ok(orphan !== null);
    const takenAt = Date.now();
    const w = worker(db, ['--until-idle']);
    assert.equal(await w.exited, 0, w.stderr());
    const ms = Date.now() - takenAt;
    assert.match(
      w.stderr(),
      new RegExp(`slice ${orphan.slice} of scan .*: taken by a worker that went silent; queued again`),
    );
    assert.ok(ms < 60_000, `the scan ended ${ms} ms after the job was taken`);
    t.diagnostic(`the orphaned job was handed out again; the scan ended ${ms} ms after it was taken`);
    const s = await scanState(db);
    assert.equal(s.state, 'done');
    assert.equal(s.hostsDone, 256);
    assert.deepEqual(await digest(db), baseline);
  });

  test('SIGTERM drains: the slice held is finished, exit 0; another worker does the rest; each slice handed out once', async () => {
    const db = await server.database();
    const scanId = await enqueue(db);
    const w = worker(db);
    for (const until = Date.now() + 30_000; (await held(db)).length === 0 && Date.now() < until; ) await sleep(20);
    w.child.kill('SIGTERM');
    assert.equal(await w.exited, 0, w.stderr());
    assert.match(w.stderr(), /finishing the slice it holds/);
    assert.equal((await held(db)).length, 0, 'nothing left held by the drained worker');
    const done = await query<{ n: number }>(db, "SELECT COUNT(*)::int AS n FROM jobs WHERE state = 'done'");
    assert.ok((done[0]?.n ?? 0) >= 1 && (done[0]?.n ?? 0) < 64, `${done[0]?.n} slices done before the drain`);
    const rest = worker(db, ['--until-idle']);
    assert.equal(await rest.exited, 0, rest.stderr());
    const s = await scanState(db);
    assert.equal(s.state, 'done');
    assert.equal(s.hostsDone, 256);
    assert.deepEqual(await digest(db), baseline);
    // no worker died here: pg-boss handed out every slice exactly once (no host probed twice)
    const retried = await query<{ n: number }>(
      db,
      "SELECT COUNT(*)::int AS n FROM pgboss.job WHERE name = 'opendoor-slices' AND retry_count > 0",
    );
    assert.equal(retried[0]?.n, 0);
    assert.ok(scanId.length > 0);
  });

  test('the database restarts under a working worker: it reconnects, loses no slice, the scan ends equal', async () => {
    const db = await server.database();
    await enqueue(db);
    const w = worker(db, ['--until-idle']);
    for (const until = Date.now() + 30_000; (await held(db)).length === 0 && Date.now() < until; ) await sleep(20);
    await server.restart(2000); // fast shutdown cuts every connection; 2 s away
    assert.equal(await w.exited, 0, w.stderr());
    const s = await scanState(db);
    assert.equal(s.state, 'done');
    assert.equal(s.hostsDone, 256);
    assert.deepEqual(await digest(db), baseline);
  });

  test('every command answers the same on PostgreSQL as on SQLite; a kill -9 there resumes; merge copies SQLite in', async () => {
    const sqlite = path.join(dir, 'one-machine.db');
    const db = await server.database();
    // a scan killed with SIGKILL once a few hosts are stored, then resumed: as on SQLite
    const child = startCli(['scan', ...TARGETS, ...COMMON, '--rate', '3000', '--db', db, '--json']);
    const exited = new Promise((r) => child.on('exit', r));
    for (const until = Date.now() + 20_000; Date.now() < until; await sleep(20)) {
      const n = await query<{ n: number }>(db, 'SELECT COALESCE(SUM(hosts_done), 0)::int AS n FROM progress').catch(
        () => [],
      );
      if ((n[0]?.n ?? 0) >= 5) break;
    }
    child.kill('SIGKILL');
    await exited;
    const id = (await query<{ id: string }>(db, 'SELECT id FROM scans'))[0]?.id ?? '';
    const resumed = await runCli(['scan', '--resume', id, '--db', db, '--json']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(await digest(db), baseline);
    // scans, report (every format), diff and letters: the same, but for ids and times
    const same = (s: string) =>
      s
        .replace(/\d{8}-\d{6}Z-[0-9a-f]{6}/g, 'ID')
        .replace(/"(started|finished)": ?"[^"]*"/g, '"$1":"T"')
        .replace(/"elapsedMs": ?\d+/g, '"elapsedMs":0')
        .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, 'T')
        .replace(/database [^ \n]+/g, 'database DB');
    const both = async (args: string[]) => {
      const [a, b] = await Promise.all([runCli([...args, '--db', sqlite]), runCli([...args, '--db', db])]);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(b.code, 0, b.stderr);
      assert.equal(same(b.stdout), same(a.stdout), args.join(' '));
    };
    await both(['scans', '--json']);
    for (const format of ['json', 'md', 'csv']) await both(['report', '--format', format]);
    const [ids] = await Promise.all([query<{ id: string }>(db, 'SELECT id FROM scans')]);
    const d = await runCli(['diff', ids[0]?.id ?? '', ids[0]?.id ?? '', '--db', db, '--json']);
    assert.equal(d.code, 0, d.stderr);
    assert.deepEqual(JSON.parse(d.stdout).new, []);
    const letters = await runCli(['letters', '--db', db, '-o', path.join(dir, 'letters-pg')]);
    const lettersLite = await runCli(['letters', '--db', sqlite, '-o', path.join(dir, 'letters-lite')]);
    assert.equal(letters.code, 0, letters.stderr);
    assert.equal(letters.stdout.split('\n').length, lettersLite.stdout.split('\n').length);
    // merge: SQLite shards copied into PostgreSQL
    const merged = await server.database();
    const m = await runCli(['merge', sqlite, '--db', merged]);
    assert.equal(m.code, 0, m.stderr);
    assert.deepEqual(await digest(merged), baseline);
  });

  test('usage: --enqueue and worker need PostgreSQL (exit 2); an unreachable server is one line, exit 1', async () => {
    const sqlite = path.join(dir, 'x.db');
    const a = await runCli(['scan', '127.0.0.1', '--db', sqlite, '--enqueue']);
    assert.equal(a.code, 2);
    assert.match(a.stderr, /--enqueue needs the shared database/);
    const b = await runCli(['worker', '--db', sqlite]);
    assert.equal(b.code, 2);
    const c = await runCli(['scans', '--db', 'postgres://nobody@127.0.88.254:1/none']);
    assert.equal(c.code, 1);
    assert.match(
      c.stderr,
      /^opendoor: cannot use PostgreSQL at postgres:\/\/nobody@127\.0\.88\.254:1\/none: ECONNREFUSED\n$/,
    );
  });
});

/**
 * Survive being killed: kill -9 and SIGINT in the middle of a scan of real servers, resume, and get
 * exactly the services and findings of an uninterrupted run; N shards together equal one run.
 */
import { NATIVE_SKIP } from './harness/native.js';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { runCli, startCli } from './harness/cli.js';
import { digest, doneCount, oneMachineRun, scanRow } from './harness/db.js';
import { startFleet, type Fleet } from './harness/fleet.js';
import { removeDir, tempDir } from './harness/procs.js';

/**
 * Targets: a /22 around the fleet (1,024 hosts: the sweep runs in worker threads), so a scan lasts
 * long enough to be interrupted; shards of it stay under the thread threshold, so both paths are
 * compared.
 */
const TARGETS = ['127.0.76.0/22'];
const COMMON = ['--depth', 'access', '--timeout', '1000', '--concurrency', '8', '--rate', '100000', '--seed', 'c0ffee'];

/** Processes whose parent is `ppid` and whose name is `name` (from /proc). */
function childrenNamed(ppid: number, name: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const m = /^\d+ \((.*)\) \S+ (\d+)/.exec(stat);
      if (m?.[1] === name && Number(m[2]) === ppid) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Starts the scan at a slower rate than the baseline (same results), so there is a middle to stop in; returns once 5 hosts are done. */
async function startedScan(
  db: string,
  targets: string[],
  stdin?: string,
): Promise<{ child: ChildProcess; exited: Promise<number | null>; stderr: () => string }> {
  const child = startCli(['scan', ...targets, ...COMMON, '--rate', '3000', '--db', db, '--json']);
  if (stdin !== undefined) child.stdin?.end(stdin);
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const deadline = Date.now() + 20000;
  while ((await doneCount(db)) < 5 && Date.now() < deadline) await sleep(20);
  return { child, exited, stderr: () => stderr };
}

describe('resume and shards', () => {
  let fleet: Fleet;
  let dir: string;
  let baseline: string[];
  before(async () => {
    fleet = await startFleet();
    dir = tempDir('resume');
    baseline = await oneMachineRun([...TARGETS, ...COMMON], path.join(dir, 'baseline.db'));
  });
  after(async () => {
    await fleet?.stop();
    if (dir !== undefined) removeDir(dir);
  });

  for (const signal of ['SIGKILL', 'SIGINT'] as const) {
    test(`${signal} mid-scan, then --resume: identical services and findings`, async () => {
      const db = path.join(dir, `${signal}.db`);
      const { child, exited, stderr } = await startedScan(db, TARGETS);
      child.kill(signal);
      const code = await exited;
      const row = scanRow(db);
      if (signal === 'SIGINT') {
        assert.equal(code, 1);
        assert.equal(row.status, 'interrupted');
        // a clean stop: what was under way ends quietly, and the way on is said
        assert.deepEqual(
          stderr()
            .trim()
            .split('\n')
            .map((l) => l.replace(/scan \S+ interrupted.*/, 'scan interrupted')),
          ['opendoor: interrupted; finishing nothing new (Ctrl-C again to quit at once)', 'opendoor: scan interrupted'],
        );
      } else {
        assert.equal(row.status, 'running');
      }
      assert.ok((await doneCount(db)) < 1024, 'the scan was really interrupted');
      const resumed = await runCli(['scan', '--resume', row.id, '--db', db, '--json']);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal(scanRow(db).status, 'done');
      assert.equal(await doneCount(db), 1024, 'every host counted once');
      assert.deepEqual(await digest(db), baseline);
    });
  }

  test('a streamed scan (-iL -) killed with SIGKILL resumes from the input it stored', async () => {
    const db = path.join(dir, 'stream.db');
    const { child, exited } = await startedScan(db, ['-iL', '-'], `${TARGETS.join('\n')}\n`);
    child.kill('SIGKILL');
    await exited;
    const done = await doneCount(db);
    assert.ok(done >= 5 && done < 1024, `interrupted with ${done} hosts done`);
    const resumed = await runCli(['scan', '--resume', scanRow(db).id, '--db', db, '--json']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(scanRow(db).status, 'done');
    assert.equal((JSON.parse(resumed.stdout.trim().split('\n').at(-1) ?? '{}') as { targets: number }).targets, 1024);
    assert.equal(await doneCount(db), 1024, 'every host counted once');
    assert.deepEqual(await digest(db), baseline);
  });

  test('a sweep helper killed mid-scan: its batches are swept again, the scan ends complete', {
    skip: NATIVE_SKIP,
  }, async () => {
    const db = path.join(dir, 'helper.db');
    const { child, exited, stderr } = await startedScan(db, TARGETS);
    const helpers = childrenNamed(child.pid ?? -1, 'opendoor-sweep');
    assert.ok(helpers.length >= 1, 'the scan sweeps in native helpers');
    // loopback answers a connect at once, so a running helper rarely holds work at the instant
    // it is killed: stopped first, the helpers keep what they are given (the scan goes on writing
    // jobs while the rate allows), so the one killed surely dies with batches in hand
    for (const pid of helpers) process.kill(pid, 'SIGSTOP');
    await sleep(400);
    process.kill(helpers[0] as number, 'SIGKILL');
    for (const pid of helpers.slice(1)) process.kill(pid, 'SIGCONT');
    assert.equal(await exited, 0, stderr());
    assert.match(stderr(), /sweeping them again/);
    assert.equal(scanRow(db).status, 'done');
    assert.equal(await doneCount(db), 1024);
    assert.deepEqual(await digest(db), baseline);
  });

  test('three shards together equal one run, and merge makes them one scan', async () => {
    const parts: string[] = [];
    const dbs: string[] = [];
    for (let k = 1; k <= 3; k++) {
      const db = path.join(dir, `shard${k}.db`);
      const r = await runCli(['scan', ...TARGETS, ...COMMON, '--db', db, '--shard', `${k}/3`, '--json']);
      assert.equal(r.code, 0, r.stderr);
      parts.push(...(await digest(db)));
      dbs.push(db);
    }
    assert.deepEqual(parts.sort(), baseline);
    const merged = path.join(dir, 'merged.db');
    const m = await runCli(['merge', ...dbs, '--db', merged]);
    assert.equal(m.code, 0, m.stderr);
    assert.deepEqual(await digest(merged), baseline);
    const summary = JSON.parse(m.stdout) as { targets: number; services: number };
    assert.equal(summary.targets, 1024);
    assert.equal(summary.services, baseline.length);
  });

  test('scans lists them; resuming a finished scan is a usage error', async () => {
    const db = path.join(dir, 'baseline.db');
    const r = await runCli(['scans', '--db', db, '--json']);
    assert.equal(r.code, 0);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; status: string; services: number });
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.status, 'done');
    const again = await runCli(['scan', '--resume', rows[0]?.id ?? '', '--db', db]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already complete/);
  });
});

/**
 * Scans serve starts on SQLite run in a process of their own (serve/scanChild.ts), not on the
 * dashboard's event loop: one child per running scan, below normal priority; serve stopping tells it to stop (the scan
 * stays resumable); serve killed outright, the child notices its parent gone and stops too, and the
 * scan resumes to its end from the CLI. Traffic: a sweep of closed loopback addresses.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import { runCli } from './harness/cli.js';
import { removeDir, tempDir } from './harness/procs.js';
import { addAccounts, startServe } from './harness/serve.js';

const dir = tempDir('scanproc');
after(() => removeDir(dir));

/** Pids of the live processes whose parent is `ppid` and whose command line names scanChild.js. */
function scanChildren(ppid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== ppid || fields[0] === 'Z') continue;
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8').includes('scanChild.js')) out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** A process's nice value (field 19 of /proc/PID/stat). */
const niceOf = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
};

const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

async function until(what: string, f: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** serve on a new database, a sweep of 4,096 closed addresses started from the API at 500 a second: its id. */
async function sweeping(name: string) {
  const db = path.join(dir, `${name}.db`);
  const tokens = await addAccounts(db, 'scan process password 1');
  const serve = await startServe('127.0.93.1', ['--db', db, '--rate', '500', '--timeout', '500']);
  const r = await serve.api('/api/v1/scans', {
    method: 'POST',
    token: tokens.admin,
    body: JSON.stringify({ targets: ['127.93.16.0/20'], ports: [104], depth: 'detect' }),
  });
  assert.equal(r.status, 201);
  const { scanId } = (await r.json()) as { scanId: string };
  const hostsDone = async () => {
    const list = (await (await serve.api('/api/v1/scans', { token: tokens.viewer })).json()) as {
      items: Array<{ id: string; hostsDone: number }>;
    };
    return list.items.find((s) => s.id === scanId)?.hostsDone ?? 0;
  };
  return { db, serve, scanId, hostsDone };
}

test('a scan serve starts runs in a child process; serve stopping stops it, resumable', async () => {
  const { serve, scanId, hostsDone } = await sweeping('stop');
  try {
    const pid = serve.child.pid as number;
    await until('the scan child', () => scanChildren(pid).length === 1);
    const [child] = scanChildren(pid);
    // the scan yields the CPU to the pages (set as it starts)
    await until('the scan below normal priority', () => niceOf(child as number) === niceOf(pid) + 10);
    await until('hosts done', async () => (await hostsDone()) > 0);
    await serve.stop();
    assert.equal(alive(child as number), false, 'the child ended before serve did');
    assert.match(serve.stderr(), new RegExp(`resume with opendoor scan --resume ${scanId}`));
  } finally {
    await serve.stop();
  }
});

test('serve killed outright: its scan child stops on its own; the scan resumes to its end', async () => {
  const { db, serve, scanId, hostsDone } = await sweeping('kill');
  try {
    const pid = serve.child.pid as number;
    await until('the scan child', () => scanChildren(pid).length === 1);
    const [child] = scanChildren(pid);
    await until('hosts done', async () => (await hostsDone()) > 0);
    serve.child.kill('SIGKILL');
    await until('the orphaned child to stop', () => !alive(child as number), 10_000);
  } finally {
    await serve.stop();
  }
  const resumed = await runCli(['scan', '--resume', scanId, '--db', db, '--quiet']);
  assert.equal(resumed.code, 0, resumed.stderr);
  const row = (await runCli(['scans', '--db', db, '--json'])).stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { id: string; status: string; hostsDone: number })
    .find((s) => s.id === scanId);
  assert.equal(row?.status, 'done');
  assert.equal(row?.hostsDone, 4096);
});

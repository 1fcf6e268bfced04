/**
 * The standing opt-out list (issue 21): kept with `opendoor optout`, and no connection reaches an
 * opted-out address on any path — `scan` (a CIDR, a list whose ports a sweeper reported, stdin, a
 * hostname), `scan --resume` of a scan started before the opt-out, workers on a PostgreSQL queue
 * (opt-out added after the scan was queued), a monitor run and a dashboard-started scan. Real
 * listeners on loopback addresses count the connections they accept; the summary counts the
 * targets left out.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { openStore } from '../src/store/open.js';
import { runCli } from './harness/cli.js';
import { type CountingServer, countingServer } from './harness/counting.js';
import { type Postgres, startPostgres } from './harness/postgres.js';
import { removeDir, tempDir } from './harness/procs.js';
import { type Serve, addAccounts, formToken, signInCookie, startServe } from './harness/serve.js';

/** Opted out (127.0.121.0/30 holds it) and not: one listener each, on the same port. */
const OUT = '127.0.121.2';
const IN = '127.0.121.5';
const SCOPE = '127.0.121.0/29';
const SERVE = '127.0.121.9';
const PG = '127.0.121.10';
const FAST = ['--depth', 'detect', '--timeout', '500', '--rate', '100000'];

interface Summary {
  type: string;
  scanId: string;
  targets: number;
  optedOut: number;
  services: number;
}

const lastJson = <T>(stdout: string): T => JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as T;
const hosts = (stdout: string): string[] =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; host?: string })
    .filter((r) => r.type === 'service')
    .map((r) => r.host ?? '');

describe('the opt-out list', () => {
  const dir = tempDir('optout');
  let out: CountingServer;
  let inside: CountingServer;
  let port = 0;
  const reset = () => {
    out.reset();
    inside.reset();
  };
  before(async () => {
    out = await countingServer(OUT);
    port = out.port;
    inside = await countingServer(IN, port);
  });
  after(() => {
    out?.close();
    inside?.close();
    removeDir(dir);
  });

  test('optout add, list --json, remove; bad scopes, bad reasons and absent scopes are input errors', async () => {
    const db = ['--db', path.join(dir, 'list.db')];
    for (const [scope, reason] of [
      ['192.0.2.5/24', 'asked by their CERT'],
      ['198.51.100.1-10', ''],
      ['as64500', 'the whole network'],
      ['2001:db8::/32', 'v6 too'],
    ] as const) {
      const r = await runCli(['optout', 'add', scope, ...(reason !== '' ? ['--reason', reason] : []), ...db]);
      assert.equal(r.code, 0, r.stderr);
    }
    // the same block however written: one entry, its reason replaced
    const again = await runCli(['optout', 'add', '192.0.2.0-192.0.2.255', '--reason', 'ticket 4711', ...db]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /192\.0\.2\.0\/24 updated/);
    const list = await runCli(['optout', 'list', '--json', ...db]);
    assert.equal(list.code, 0, list.stderr);
    const items = list.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      items.map((i) => [i.type, i.scope, i.kind, i.reason, i.by]),
      [
        ['optout', '192.0.2.0/24', 'block', 'ticket 4711', 'cli'],
        ['optout', '198.51.100.1-198.51.100.10', 'block', '', 'cli'],
        ['optout', 'AS64500', 'asn', 'the whole network', 'cli'],
        ['optout', '2001:db8::/32', 'block', 'v6 too', 'cli'],
      ],
    );
    assert.ok(items.every((i) => typeof i.created === 'string' && !Number.isNaN(Date.parse(String(i.created)))));
    const table = await runCli(['optout', 'list', ...db]);
    assert.match(table.stdout, /^SCOPE\s+ADDED\s+BY\s+REASON\n/);
    assert.match(table.stdout, /AS64500 .* the whole network\n/);
    const removed = await runCli(['optout', 'remove', '198.51.100.1-10', ...db]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal((await runCli(['optout', 'list', '--json', ...db])).stdout.trim().split('\n').length, 3);
    for (const [args, why] of [
      [
        ['optout', 'add', 'pacs.example.org'],
        /^opendoor: "pacs\.example\.org": a scope is an address, CIDR, range or AS number\n$/,
      ],
      [['optout', 'add', '192.0.2.0/33'], /^opendoor: "192\.0\.2\.0\/33": prefix length must be 0\.\.32\n$/],
      [['optout', 'add', 'AS99999999999'], /^opendoor: "AS99999999999": /],
      [['optout', 'add', '192.0.2.1', '--reason', 'two\nlines'], /^opendoor: the reason must be one line/],
      [
        ['optout', 'remove', '198.51.100.1-10'],
        /^opendoor: 198\.51\.100\.1-198\.51\.100\.10 is not on the opt-out list/,
      ],
      [['optout', 'remove', 'nonsense'], /^opendoor: "nonsense": /],
    ] as const) {
      const r = await runCli([...args, ...db]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, why);
      assert.equal(r.stderr.split('\n').length, 2, 'one line');
    }
  });

  test('scan: no connection reaches an opted-out address (CIDR, sweeper list, stdin, hostname); the summary counts it', async () => {
    const db = ['--db', path.join(dir, 'scan.db')];
    assert.equal((await runCli(['optout', 'add', '127.0.121.0/30', '--reason', 'asked', ...db])).code, 0);
    reset();
    const r = await runCli(['scan', SCOPE, '-p', String(port), ...FAST, '--json', ...db]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(out.touched(), 0, 'no connection to the opted-out address');
    assert.ok(inside.touched() > 0, 'the scan did reach the other');
    assert.deepEqual(hosts(r.stdout), [IN]);
    const s = lastJson<Summary>(r.stdout);
    assert.deepEqual([s.type, s.targets, s.optedOut, s.services], ['summary', 4, 4, 1]);
    // the human summary says it too
    reset();
    const human = await runCli(['scan', SCOPE, '-p', String(port), ...FAST, ...db]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /: 4 targets, 1 service,/);
    assert.match(human.stdout, /\n4 targets left out by the opt-out list/);
    assert.equal(out.touched(), 0);
    // ports a sweeper reported open are probed without a sweep: still nothing
    reset();
    const list = path.join(dir, 'masscan.txt');
    writeFileSync(list, `#masscan\nopen tcp ${port} ${OUT} 1700000000\nopen tcp ${port} ${IN} 1700000000\n# end\n`);
    const fromList = await runCli(['scan', '-iL', list, ...FAST, '--json', ...db]);
    assert.equal(fromList.code, 0, fromList.stderr);
    assert.equal(out.touched(), 0);
    assert.ok(inside.touched() > 0);
    assert.deepEqual([lastJson<Summary>(fromList.stdout).targets, lastJson<Summary>(fromList.stdout).optedOut], [1, 1]);
    // stdin, as it arrives
    reset();
    const stdin = await runCli(['scan', '-iL', '-', '-p', String(port), ...FAST, '--json', ...db], `${OUT}\n${IN}\n`);
    assert.equal(stdin.code, 0, stdin.stderr);
    assert.equal(out.touched(), 0);
    assert.ok(inside.touched() > 0);
    assert.deepEqual([lastJson<Summary>(stdin.stdout).targets, lastJson<Summary>(stdin.stdout).optedOut], [1, 1]);
  });

  test('scan: a hostname resolved to an opted-out address is left out', async () => {
    const local = await countingServer('127.0.0.1');
    const db = ['--db', path.join(dir, 'name.db')];
    try {
      assert.equal((await runCli(['optout', 'add', '127.0.0.1', ...db])).code, 0);
      const r = await runCli(['scan', 'localhost', '-p', String(local.port), ...FAST, '--json', ...db]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(local.touched(), 0);
      assert.ok(lastJson<Summary>(r.stdout).optedOut >= 1);
    } finally {
      local.close();
    }
  });

  test('scan --resume: an opt-out added after the scan started applies to what is left', async () => {
    const file = path.join(dir, 'resume.db');
    const db = ['--db', file];
    // a finished scan gives the arguments; a second scan with them is left as if killed before its first host
    const first = await runCli(['scan', SCOPE, '-p', String(port), ...FAST, '--json', ...db]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(lastJson<Summary>(first.stdout).optedOut, 0);
    const store = await openStore(file);
    try {
      const row = await store.scan(lastJson<Summary>(first.stdout).scanId);
      await store.beginScan('resumed', JSON.parse(row?.args ?? '{}'), 'interrupted');
    } finally {
      await store.close();
    }
    assert.equal((await runCli(['optout', 'add', `${OUT}-${OUT}`, '--reason', 'asked meanwhile', ...db])).code, 0);
    reset();
    const r = await runCli(['scan', '--resume', 'resumed', '--json', ...db]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(out.touched(), 0);
    assert.ok(inside.touched() > 0);
    assert.deepEqual([lastJson<Summary>(r.stdout).targets, lastJson<Summary>(r.stdout).optedOut], [7, 1]);
  });

  describe('workers on a PostgreSQL queue', () => {
    let server: Postgres;
    before(async () => {
      server = await startPostgres(PG);
    });
    after(async () => {
      await server?.stop();
    });

    test('an opt-out added after the scan was queued: no worker connects to it; scans --json counts it', async () => {
      const url = await server.database();
      const db = ['--db', url];
      const q = await runCli([
        'scan',
        SCOPE,
        '-p',
        String(port),
        ...FAST,
        '--seed',
        'abc',
        '--enqueue',
        '--json',
        ...db,
      ]);
      assert.equal(q.code, 0, q.stderr);
      const { scanId } = JSON.parse(q.stdout) as { scanId: string };
      assert.equal((await runCli(['optout', 'add', '127.0.121.0/30', '--reason', 'asked', ...db])).code, 0);
      reset();
      const w = await runCli(['worker', '--until-idle', ...db]);
      assert.equal(w.code, 0, w.stderr);
      assert.equal(out.touched(), 0);
      assert.ok(inside.touched() > 0);
      const scans = await runCli(['scans', '--json', ...db]);
      const row = lastJson<{ scanId?: string; id: string; state: string; targets: number; optedOut: number }>(
        scans.stdout,
      );
      assert.deepEqual([row.id, row.state, row.targets, row.optedOut], [scanId, 'done', 4, 4]);
      const report = await runCli(['report', scanId, '--format', 'json', ...db]);
      assert.equal(report.code, 0, report.stderr);
      assert.doesNotMatch(report.stdout, /127\.0\.121\.2\b/);
    });
  });

  describe('the dashboard', () => {
    const db = path.join(dir, 'serve.db');
    const password = 'opt-out test password';
    let serve: Serve;
    let tokens: { admin: string; viewer: string };
    before(async () => {
      tokens = await addAccounts(db, password);
      serve = await startServe(SERVE, ['--db', db, '--timeout', '500']);
    });
    after(async () => {
      await serve?.stop();
    });
    const send = (method: string, p: string, body: unknown, token = tokens.admin) =>
      serve.api(p, { method, token, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const waitDone = async (id: string): Promise<Summary> => {
      for (const until = Date.now() + 60_000; Date.now() < until; await sleep(200)) {
        const s = (await (await serve.api(`/api/v1/scans/${id}`, { token: tokens.viewer })).json()) as Summary & {
          state: string;
        };
        if (s.state === 'done') return s;
      }
      throw new Error(`scan ${id} did not end`);
    };

    test('GET/POST/DELETE /api/v1/optouts: viewers read, admins change; bad and absent scopes answered', async () => {
      assert.equal((await send('POST', '/api/v1/optouts', { scope: '192.0.2.0/24' }, tokens.viewer)).status, 403);
      assert.equal((await send('DELETE', '/api/v1/optouts?scope=192.0.2.0/24', undefined, tokens.viewer)).status, 403);
      assert.equal((await serve.api('/api/v1/optouts')).status, 401);
      const added = await send('POST', '/api/v1/optouts', { scope: '192.0.2.9/24', reason: 'asked' });
      assert.equal(added.status, 201);
      assert.deepEqual(await added.json(), { scope: '192.0.2.0/24', reason: 'asked', state: 'added' });
      assert.equal((await send('POST', '/api/v1/optouts', { scope: '192.0.2.0/24', reason: 'again' })).status, 200);
      assert.equal((await send('POST', '/api/v1/optouts', { scope: 'AS64500' })).status, 201);
      const bad = await send('POST', '/api/v1/optouts', { scope: 'pacs.example.org' });
      assert.equal(bad.status, 400);
      assert.match(((await bad.json()) as { error: string }).error, /a scope is an address, CIDR, range or AS number/);
      const list = (await (await serve.api('/api/v1/optouts', { token: tokens.viewer })).json()) as {
        items: Array<{ type: string; scope: string; kind: string; reason: string; by: string }>;
        total: number;
      };
      assert.equal(list.total, 2);
      assert.deepEqual(
        list.items.map((i) => [i.type, i.scope, i.kind, i.reason, i.by]),
        [
          ['optout', '192.0.2.0/24', 'block', 'again', 'admin'],
          ['optout', 'AS64500', 'asn', '', 'admin'],
        ],
      );
      assert.equal(
        (await send('DELETE', `/api/v1/optouts?scope=${encodeURIComponent('192.0.2.0-192.0.2.255')}`, undefined))
          .status,
        204,
      );
      assert.equal((await send('DELETE', '/api/v1/optouts?scope=192.0.2.0%2F24', undefined)).status, 404);
      assert.equal((await send('DELETE', '/api/v1/optouts?scope=nonsense', undefined)).status, 400);
      assert.equal((await send('DELETE', '/api/v1/optouts?scope=AS64500', undefined)).status, 204);
    });

    test('the page: viewers see the list without forms; admins add and remove with the form token', async () => {
      const admin = await signInCookie(serve.base, 'admin', password);
      const csrf = await formToken(serve.base, admin, '/optouts');
      assert.ok(csrf !== '');
      const post = (p: string, form: Record<string, string>, cookie = admin) =>
        fetch(`${serve.base}${p}`, { method: 'POST', headers: { cookie }, body: new URLSearchParams(form) });
      assert.equal(
        (await post('/optouts', { scope: '198.51.100.0/24', reason: '<b>asked</b>' })).status,
        403,
        'no token',
      );
      const added = await post('/optouts', { _csrf: csrf, scope: '198.51.100.0/24', reason: '<b>asked</b>' });
      assert.equal(added.status, 200);
      const html = await added.text();
      assert.match(html, /198\.51\.100\.0\/24 added/);
      assert.match(html, /&lt;b&gt;asked&lt;\/b&gt;/, 'the reason as text');
      const viewer = await signInCookie(serve.base, 'viewer', password);
      const seen = await (await fetch(`${serve.base}/optouts`, { headers: { cookie: viewer } })).text();
      assert.match(seen, /198\.51\.100\.0\/24/);
      assert.doesNotMatch(seen, /action="\/optouts/, 'no forms for a viewer');
      const vcsrf = await formToken(serve.base, viewer, '/optouts');
      assert.equal((await post('/optouts/remove', { _csrf: vcsrf, scope: '198.51.100.0/24' }, viewer)).status, 403);
      const removed = await post('/optouts/remove', { _csrf: csrf, scope: '198.51.100.0/24' });
      assert.equal(removed.status, 200);
      assert.match(await removed.text(), /198\.51\.100\.0\/24 removed/);
      assert.equal((await post('/optouts/remove', { _csrf: csrf, scope: '198.51.100.0/24' })).status, 404);
    });

    test('a dashboard-started scan and a monitor run connect to no opted-out address', async () => {
      assert.equal((await send('POST', '/api/v1/optouts', { scope: '127.0.121.0/30', reason: 'asked' })).status, 201);
      reset();
      const started = await send('POST', '/api/v1/scans', { targets: [SCOPE], ports: String(port), depth: 'detect' });
      assert.equal(started.status, 201, await started.clone().text());
      const s = await waitDone(((await started.json()) as { scanId: string }).scanId);
      assert.deepEqual([s.targets, s.optedOut, s.services], [4, 4, 1]);
      assert.equal(out.touched(), 0);
      assert.ok(inside.touched() > 0);
      const viewer = await signInCookie(serve.base, 'viewer', password);
      const scanPage = await (await fetch(`${serve.base}/scans/${s.scanId}`, { headers: { cookie: viewer } })).text();
      assert.match(scanPage, /of 4 hosts done ·\s*<a href="\/optouts">4 left out by the opt-out list<\/a>/);
      // a monitor: run now, wait for its scan
      reset();
      const m = await send('POST', '/api/v1/monitors', {
        name: 'ward',
        targets: [SCOPE],
        ports: String(port),
        depth: 'detect',
        schedule: '0 3 1 1 *',
        timezone: 'UTC',
      });
      assert.equal(m.status, 201);
      assert.equal((await send('POST', '/api/v1/monitors/ward/run', {})).status, 202);
      let lastScan: string | null = null;
      for (const until = Date.now() + 60_000; lastScan === null && Date.now() < until; await sleep(200)) {
        const list = (await (await serve.api('/api/v1/monitors', { token: tokens.viewer })).json()) as {
          items: Array<{ name: string; lastScan: string | null; running: string | null }>;
        };
        const w = list.items.find((i) => i.name === 'ward');
        if (w?.lastScan != null && w.running === null) lastScan = w.lastScan;
      }
      assert.ok(lastScan !== null, 'the monitor ran');
      const ms = await waitDone(lastScan);
      assert.deepEqual([ms.targets, ms.optedOut], [4, 4]);
      assert.equal(out.touched(), 0);
      assert.ok(inside.touched() > 0);
    });
  });
});

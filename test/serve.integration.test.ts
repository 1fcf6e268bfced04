/**
 * `opendoor serve` as a user runs it, on a database filled by a real scan of servers whose strings
 * attack the reader (markup in a title, a Server header, a certificate, a DICOM version name) and by
 * a record with markup in every other field a server controls: the API's auth and paging, a scan
 * started from the API that runs to its end, progress as server-sent events, and in Chromium, that
 * no hostile string runs and each shows literally, under a CSP without 'unsafe-inline'.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPORT_FORMATS } from '../src/report/formats.js';
import { ROUTES } from '../src/serve/routes.js';
import { openStore } from '../src/store/open.js';
import type { Page } from 'playwright-core';
import { launchChromium } from './harness/browser.js';
import { runCli } from './harness/cli.js';
import { HOSTILE, type HostilePeers, hostileRecord, startHostileTextPeers } from './harness/hostileText.js';
import { type Postgres, startPostgres } from './harness/postgres.js';
import { startMuteHosts } from './harness/mute.js';
import { removeDir, tempDir } from './harness/procs.js';
import { type Serve, addAccounts, formToken, signInCookie, startServe } from './harness/serve.js';

const PEER = '127.0.91.1';
const SERVE = '127.0.91.2';
const PASSWORD = 'a long enough password';

const ARTIFACTS = path.resolve('artifacts');

/** A screenshot of the page as a test artifact (artifacts/dashboard-NAME.png). */
async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `dashboard-${name}.png`), fullPage: true });
}

describe('opendoor serve', () => {
  const dir = tempDir('serve');
  const db = path.join(dir, 'serve.db');
  const nets = path.join(dir, 'networks.csv');
  let peers: HostilePeers;
  let serve: Serve;
  let adminToken = '';
  let viewerToken = '';
  let scanned = '';
  const api = (p: string, init: RequestInit & { token?: string } = {}) => serve.api(p, init);

  before(async () => {
    peers = await startHostileTextPeers(PEER);
    const scan = await runCli([
      'scan',
      PEER,
      '-p',
      peers.ports.join(','),
      '--depth',
      'access',
      '--timeout',
      '1500',
      '--db',
      db,
      '--json',
    ]);
    assert.equal(scan.code, 0, scan.stderr);
    scanned = JSON.parse(scan.stdout.trim().split('\n').at(-1) ?? '{}').scanId;
    // every other field a server controls, as a scan writes it
    const store = await openStore(db);
    await store.recordHost(scanned, [hostileRecord('127.0.91.3', 104)], null);
    await store.close();
    ({ admin: adminToken, viewer: viewerToken } = await addAccounts(db, PASSWORD));
    // the scans it starts attribute as a CLI scan told so would: the mute hosts' range is a test network
    writeFileSync(nets, '127.0.94.0,127.0.94.255,64510,Mute Net\n');
    serve = await startServe(SERVE, [
      '--db',
      db,
      '--rate',
      '2000',
      '--timeout',
      '1000',
      '--concurrency',
      '4',
      '--asn-data',
      nets,
    ]);
  });
  after(async () => {
    await serve?.stop();
    await peers?.stop();
    removeDir(dir);
  });

  test('the scanner keeps what the servers said, markup and all, as text (bounded)', async () => {
    const r = await runCli(['report', scanned, '--db', db, '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes(JSON.stringify(HOSTILE.title).slice(1, -1)), 'the HTML title, as sent');
    assert.ok(r.stdout.includes(JSON.stringify(HOSTILE.server).slice(1, -1)), 'the Server header, as sent');
    assert.ok(r.stdout.includes(HOSTILE.certificate), "the certificate's subject");
    assert.ok(r.stdout.includes(HOSTILE.versionName), 'the implementation version name');
  });

  test('the scan page offers every report format of the one table; each download is what `report` writes', async () => {
    const page = await (await api(`/scans/${scanned}`, { token: viewerToken })).text();
    for (const f of REPORT_FORMATS) {
      assert.ok(page.includes(`href="/scans/${encodeURIComponent(scanned)}/report.${f.name}">${f.label}</a>`), f.name);
      const r = await api(`/scans/${scanned}/report.${f.name}`, { token: viewerToken });
      assert.equal(r.status, 200, f.name);
      assert.equal(r.headers.get('content-type'), f.mediaType);
      assert.equal(r.headers.get('content-disposition'), `attachment; filename="opendoor-${scanned}.${f.extension}"`);
      const cli = await runCli(['report', scanned, '--db', db, '--format', f.name]);
      assert.equal(await r.text(), cli.stdout, `${f.name}: the download is the CLI's report`);
    }
    const events = await (await api(`/scans/${scanned}/report.intelmq`, { token: viewerToken })).text();
    assert.ok(events.includes('"source.ip":"127.0.91.3"'), "the hostile record's open query is an event");
    assert.equal((await api(`/scans/${scanned}/report.misp`, { token: viewerToken })).status, 400);
  });

  test('API: 401 without a session or token, JSON body; a token reads; every list paged', async () => {
    const anon = await api('/api/v1/scans');
    assert.equal(anon.status, 401);
    assert.match((await anon.json()).error, /sign in/);
    assert.equal((await api('/api/v1/scans', { token: 'odt_not-a-real-token-at-all' })).status, 401);
    const page = await (await api('/api/v1/scans', { token: viewerToken })).json();
    assert.equal(page.total, 1);
    assert.equal(page.items[0].scanId ?? page.items[0].id, scanned);
    assert.equal(page.items[0].state, 'done');
    const one = await (await api(`/api/v1/scans/${scanned}`, { token: viewerToken })).json();
    assert.equal(one.type, 'summary');
    assert.equal(one.state, 'done');
    const services = await (await api(`/api/v1/scans/${scanned}/services?limit=2`, { token: viewerToken })).json();
    assert.equal(services.total, 4);
    assert.equal(services.items.length, 2);
    assert.equal(services.items[0].type, 'service');
    const rest = await (await api(`/api/v1/scans/${scanned}/services?limit=2&offset=2`, { token: viewerToken })).json();
    assert.deepEqual(
      [...services.items, ...rest.items].map((s: { host: string; port: number }) => `${s.host}:${s.port}`),
      [`${PEER}:104`, `${PEER}:8080`, `${PEER}:8443`, '127.0.91.3:104'],
    );
    const tooMany = await api(`/api/v1/scans/${scanned}/services?limit=100000`, { token: viewerToken });
    assert.equal(tooMany.status, 400);
    assert.match((await tooMany.json()).error, /limit must be <= 500/, 'the schema says which field and rule');
    assert.equal((await api('/api/v1/scans/nope', { token: viewerToken })).status, 404);
    const host = await (await api(`/api/v1/hosts/${PEER}`, { token: viewerToken })).json();
    assert.equal(host.total, 3);
    assert.equal(host.items[0].scanId, scanned);
  });

  test('a viewer may not start a scan (403); an admin starts one: it runs to its end, its progress streamed', async () => {
    const body = JSON.stringify({ targets: [PEER], ports: [8080], depth: 'detect' });
    assert.equal((await api('/api/v1/scans', { method: 'POST', body, token: viewerToken })).status, 403);
    const bad = await api('/api/v1/scans', { method: 'POST', body: '{"targets":["300.1.1.1"]}', token: adminToken });
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error, /300\.1\.1\.1/);
    const started = await api('/api/v1/scans', { method: 'POST', body, token: adminToken });
    assert.equal(started.status, 201);
    const { scanId } = (await started.json()) as { scanId: string };
    const events = await api(`/api/v1/scans/${scanId}/events`, { token: viewerToken });
    assert.match(events.headers.get('content-type') ?? '', /text\/event-stream/);
    const text = await events.text(); // the stream ends when the scan does
    assert.match(text, /event: progress/);
    assert.match(text, /event: end\ndata: \{"state":"done"\}/);
    const s = await (await api(`/api/v1/scans/${scanId}`, { token: viewerToken })).json();
    assert.equal(s.state, 'done');
    assert.equal(s.services, 1);
    const cli = await runCli(['scans', '--db', db, '--json']);
    assert.ok(cli.stdout.includes(scanId), 'the scan shows in `opendoor scans`');
  });

  test('every route in the one table: a stranger and a bad token get 401 or the sign-in page, a viewer 403 on changes', async () => {
    const fill = (url: string) =>
      url
        .replace(':id', scanned)
        .replace(':format', 'json')
        .replace(':address', PEER)
        .replace(':name', 'nobody')
        .replace('*', 'app.css');
    const entries = Object.entries(ROUTES);
    assert.ok(entries.length >= 25);
    for (const [route, access] of entries) {
      const [method = 'GET', url = '/'] = route.split(' ');
      const path = fill(url);
      const call = (token?: string) =>
        fetch(`${serve.base}${path}`, {
          method,
          redirect: 'manual',
          headers: {
            ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
            ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
          },
          ...(method === 'POST' ? { body: '{}' } : {}),
          signal: AbortSignal.timeout(5000),
        }).then(async (r) => {
          const body = await r.text();
          return { status: r.status, location: r.headers.get('location'), body };
        });
      const stranger = await call();
      const bad = await call('odt_this-token-was-never-made-here');
      const viewer = await call(viewerToken);
      assert.doesNotMatch(viewer.body, /Route .* not found/, `${route} is served`);
      if (access === 'public') continue;
      for (const [who, r] of [
        ['a stranger', stranger],
        ['a bad token', bad],
      ] as const) {
        if (url.startsWith('/api/')) {
          assert.equal(r.status, 401, `${route} for ${who}`);
          assert.match(r.body, /"error"/);
        } else assert.ok(r.status === 302 && r.location?.startsWith('/login'), `${route} for ${who}: ${r.status}`);
      }
      if (access === 'admin') assert.equal(viewer.status, 403, `${route} for a viewer`);
      else assert.ok(viewer.status !== 401 && viewer.status !== 403, `${route} for a viewer: ${viewer.status}`);
    }
  });

  test('in Chromium: sign-in, every page; no hostile string runs, each shows as text; nothing from elsewhere', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('dialog', (d) => {
        problems.push(`dialog: ${d.message()}`);
        void d.dismiss();
      });
      page.on('request', (req) => {
        if (!req.url().startsWith(serve.base)) problems.push(`request to ${req.url()}`);
      });
      await page.goto(`${serve.base}/scans/${scanned}`);
      assert.match(page.url(), /\/login\?next=/);
      await page.fill('input[name=username]', 'viewer');
      await page.fill('input[name=password]', 'not the password');
      const wrong = await Promise.all([page.waitForResponse('**/login'), page.click('button[type=submit]')]);
      assert.equal(wrong[0].status(), 401);
      assert.match((await page.textContent('.error')) ?? '', /^Wrong user name or password\.$/);
      problems.length = 0; // the console's note of that 401

      await page.fill('input[name=username]', 'viewer');
      await page.fill('input[name=password]', PASSWORD);
      await Promise.all([page.waitForURL(`**/scans/${scanned}`), page.click('button[type=submit]')]);
      const cookies = await page.context().cookies();
      const session = cookies.find((c) => c.name === 'opendoor_session');
      assert.ok(session?.httpOnly === true && session.sameSite === 'Strict', 'session cookie HttpOnly, SameSite');
      for (const [name, url] of [
        ['scan', `/scans/${scanned}`],
        ['host', `/hosts/${PEER}`],
        ['host-every-field', '/hosts/127.0.91.3'],
        ['overview', '/'],
        ['scans', '/scans'],
        ['monitors', '/monitors'],
        ['diff', `/diff?a=${scanned}&b=${scanned}`],
      ] as const) {
        const res = await page.goto(`${serve.base}${url}`);
        assert.equal(res?.status(), 200, url);
        const csp = res?.headers()['content-security-policy'] ?? '';
        assert.match(csp, /script-src 'self'/);
        assert.doesNotMatch(csp, /unsafe-inline/);
        const pwned = await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned);
        assert.equal(pwned, undefined, `${url}: a hostile string ran`);
        const injected = await page.evaluate(
          () =>
            document.querySelectorAll('script:not([src="/static/app.js"]), iframe, img, [onload], [onerror], [onclick]')
              .length,
        );
        assert.equal(injected, 0, `${url}: markup from a server became elements`);
        await shoot(page, name);
      }
      // the overview's figures are the store's (the latest finished scan)
      await page.goto(`${serve.base}/`);
      const latest = (
        (await (await api('/api/v1/scans?limit=500', { token: viewerToken })).json()).items as Array<
          Record<string, number | string>
        >
      )
        .filter((x) => x.state === 'done')
        .at(-1);
      for (const k of ['services', 'exposed', 'patients', 'studies'])
        assert.equal(await page.textContent(`[data-figure="${k}"]`), String(latest?.[k]), `overview ${k}`);
      // live progress: a real scan of 12 mute servers (each holds its port until the probe gives up)
      const mute = await startMuteHosts('127.0.94', 12);
      try {
        const started = await api('/api/v1/scans', {
          method: 'POST',
          body: JSON.stringify({ targets: ['127.0.94.1-12'], ports: [104] }),
          token: adminToken,
        });
        const { scanId } = (await started.json()) as { scanId: string };
        let navigations = 0;
        page.on('framenavigated', () => navigations++);
        await page.goto(`${serve.base}/scans`);
        navigations = 0;
        const row = `tr[data-scan="${scanId}"]`;
        const seen = new Set<string>();
        for (const until = Date.now() + 60_000; Date.now() < until; await sleep(150)) {
          seen.add((await page.textContent(`${row} [data-field="hostsDone"]`)) ?? '');
          if ((await page.textContent(`${row} [data-field="state"]`)) === 'done') break;
        }
        await shoot(page, 'scans-live');
        assert.equal(await page.textContent(`${row} [data-field="state"]`), 'done');
        assert.equal(await page.textContent(`${row} [data-field="hostsDone"]`), '12');
        assert.ok(mute.maxTalking() <= 4, `serve --concurrency 4: ${mute.maxTalking()} probed at once`);
        assert.equal(navigations, 0, 'no reload: the row moved by itself');
        assert.ok(seen.size >= 3, `progress moved on the page: ${[...seen].join(' → ')}`);
        const stored = (await (await api(`/api/v1/scans/${scanId}/services?limit=50`, { token: viewerToken })).json())
          .items as Array<{ host: string; network?: { asn: number | null; asName: string | null } }>;
        assert.equal(stored.length, 12);
        for (const r of stored) assert.deepEqual([r.network?.asn, r.network?.asName], [64510, 'Mute Net'], r.host);
      } finally {
        await mute.stop();
      }
      const text = async (url: string) => {
        await page.goto(`${serve.base}${url}`);
        return (await page.textContent('main')) ?? '';
      };
      const hostPage = await text(`/hosts/${PEER}`);
      for (const s of [HOSTILE.title, HOSTILE.server, HOSTILE.certificate, HOSTILE.versionName])
        assert.ok(hostPage.includes(s), `shown literally: ${s}`);
      const synthetic = await text('/hosts/127.0.91.3');
      for (const s of [HOSTILE.product, HOSTILE.aeTitle, HOSTILE.versionName])
        assert.ok(synthetic.includes(s), `shown literally: ${s}`);
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  });

  test('sessions live in the store: signing out ends one; a restart does not; a new password ends them all; a form needs its token', async () => {
    const one = await signInCookie(serve.base, 'admin', PASSWORD);
    const two = await signInCookie(serve.base, 'admin', PASSWORD);
    assert.notEqual(one, two);
    const status = async (cookie: string) =>
      (await fetch(`${serve.base}/api/v1/scans`, { headers: { cookie } })).status;
    assert.deepEqual([await status(one), await status(two)], [200, 200]);
    // a session's POST without the form's token is refused, with it accepted
    const body = JSON.stringify({ targets: ['127.0.91.9'], ports: [9], depth: 'detect' });
    const post = (cookie: string, token?: string) =>
      fetch(`${serve.base}/api/v1/scans`, {
        method: 'POST',
        body,
        headers: {
          cookie,
          'content-type': 'application/json',
          ...(token !== undefined ? { 'x-csrf-token': token } : {}),
        },
      });
    assert.equal((await post(one)).status, 403);
    assert.equal((await post(one, await formToken(serve.base, one))).status, 201);
    const out = await fetch(`${serve.base}/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: one },
      body: new URLSearchParams({ _csrf: await formToken(serve.base, one) }),
    });
    assert.equal(out.status, 303);
    assert.deepEqual([await status(one), await status(two)], [401, 200]);
    // the cookie key is the store's: a sign-in outlives a restart of serve
    await serve.stop();
    serve = await startServe(SERVE, ['--db', db, '--rate', '2000', '--timeout', '1000', '--concurrency', '4']);
    assert.equal(await status(two), 200, 'still signed in after a restart');
    const changed = await runCli(['user', 'add', 'admin', '--role', 'admin', '--db', db], 'another long password\n');
    assert.match(changed.stderr, /updated \(admin\); their sessions ended/);
    assert.equal(await status(two), 401);
    assert.equal((await api('/api/v1/scans', { token: adminToken })).status, 200, 'API tokens stay');
  });

  test('sign-in: a form without its CSRF token is refused (403); repeated attempts answer 429', async () => {
    const login = (fields: Record<string, string>) =>
      fetch(`${serve.base}/login`, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual' });
    const noToken = await login({ username: 'admin', password: PASSWORD });
    assert.equal(noToken.status, 403, 'a sign-in form without its CSRF token');
    const codes: number[] = [];
    for (let i = 0; i < 12; i++) codes.push((await login({ username: 'admin', password: 'wrong' })).status);
    assert.ok(codes.includes(429), `429 after repeated sign-ins: ${codes.join(' ')}`);
    const limited = await login({ username: 'admin', password: 'wrong' });
    assert.equal(limited.status, 429);
    assert.match((await limited.json()).error, /too many requests/i);
    const viewerPost = await api('/api/v1/scans', {
      method: 'POST',
      body: JSON.stringify({ targets: [PEER] }),
      token: viewerToken,
    });
    assert.equal(viewerPost.status, 403);
  });
});

describe('opendoor serve on PostgreSQL', () => {
  let server: Postgres;
  let serve: Serve;
  let peers: HostilePeers;
  let url = '';
  let tokens: { admin: string; viewer: string };
  before(async () => {
    [server, peers] = await Promise.all([startPostgres(), startHostileTextPeers('127.0.91.5')]);
    url = await server.database();
    tokens = await addAccounts(url, PASSWORD);
    serve = await startServe('127.0.91.6', ['--db', url, '--timeout', '1000']);
  });
  after(async () => {
    await serve?.stop();
    await peers?.stop();
    await server?.stop();
  });

  test('a scan started from the API goes to the queue; a worker runs it; the API and `scans` show it done', async () => {
    const started = await serve.api('/api/v1/scans', {
      method: 'POST',
      body: JSON.stringify({ targets: ['127.0.91.5'], ports: '8080,8443', depth: 'detect' }),
      token: tokens.admin,
    });
    assert.equal(started.status, 201);
    const { scanId } = (await started.json()) as { scanId: string };
    const queued = await (await serve.api(`/api/v1/scans/${scanId}`, { token: tokens.viewer })).json();
    assert.equal(queued.state, 'queued');
    const worker = await runCli(['worker', '--db', url, '--until-idle']);
    assert.equal(worker.code, 0, worker.stderr);
    const events = await (await serve.api(`/api/v1/scans/${scanId}/events`, { token: tokens.viewer })).text();
    assert.match(events, /event: end\ndata: \{"state":"done"\}/);
    const done = await (await serve.api(`/api/v1/scans/${scanId}/services`, { token: tokens.viewer })).json();
    assert.equal(done.total, 2);
    const host = await (await serve.api('/api/v1/hosts/127.0.91.5', { token: tokens.viewer })).json();
    assert.equal(host.items[0].record.http.title, HOSTILE.title);
    const cli = await runCli(['scans', '--db', url, '--json']);
    assert.match(cli.stdout, new RegExp(`"id":"${scanId}".*"state":"done"`));
  });

  test('stopping serve while a browser follows a queued scan: it exits at once, the stream cut', async () => {
    const started = await serve.api('/api/v1/scans', {
      method: 'POST',
      body: JSON.stringify({ targets: ['127.0.91.5'], ports: '8080', depth: 'detect' }),
      token: tokens.admin,
    });
    const { scanId } = (await started.json()) as { scanId: string };
    const events = await serve.api(`/api/v1/scans/${scanId}/events`, { token: tokens.viewer });
    assert.equal(events.status, 200);
    const reading = events.text().catch(() => 'cut');
    const t0 = performance.now();
    await serve.stop();
    const ms = performance.now() - t0;
    assert.ok(ms < 5000, `serve took ${Math.round(ms)} ms to stop`);
    await reading;
  });
});

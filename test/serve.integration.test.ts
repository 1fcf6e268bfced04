/**
 * `opendoor serve` as a user runs it, on a database filled by a real scan of servers whose strings
 * attack the reader (markup in a title, a Server header, a certificate, a DICOM version name) and by
 * a record with markup in every other field a server controls: the API's auth and paging, a scan
 * started from the API that runs to its end, progress as server-sent events, and in Chromium, that
 * no hostile string runs and each shows literally, under a CSP without 'unsafe-inline'.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openStore } from '../src/store/store.js';
import { launchChromium } from './harness/browser.js';
import { runCli } from './harness/cli.js';
import { HOSTILE, type HostilePeers, hostileRecord, startHostileTextPeers } from './harness/hostileText.js';
import { type Postgres, startPostgres } from './harness/postgres.js';
import { removeDir, tempDir } from './harness/procs.js';
import { type Serve, addAccounts, startServe } from './harness/serve.js';

const PEER = '127.0.91.1';
const SERVE = '127.0.91.2';
const PASSWORD = 'a long enough password';

describe('opendoor serve', () => {
  const dir = tempDir('serve');
  const db = path.join(dir, 'serve.db');
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
    serve = await startServe(SERVE, ['--db', db, '--rate', '2000', '--timeout', '1000']);
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
    assert.equal((await api(`/api/v1/scans/${scanned}/services?limit=100000`, { token: viewerToken })).status, 400);
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
      for (const url of [
        `/scans/${scanned}`,
        `/hosts/${PEER}`,
        '/hosts/127.0.91.3',
        '/',
        '/scans',
        '/monitors',
        `/diff?a=${scanned}&b=${scanned}`,
      ]) {
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

  test('sign-in: a form without its CSRF token is refused (403); repeated attempts answer 429', async () => {
    const login = (fields: Record<string, string>) =>
      fetch(`${serve.base}/login`, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual' });
    const noToken = await login({ username: 'admin', password: PASSWORD });
    assert.equal(noToken.status, 403, 'a sign-in form without its CSRF token');
    const codes: number[] = [];
    for (let i = 0; i < 12; i++) codes.push((await login({ username: 'admin', password: 'wrong' })).status);
    assert.ok(codes.includes(429), `429 after repeated sign-ins: ${codes.join(' ')}`);
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
});

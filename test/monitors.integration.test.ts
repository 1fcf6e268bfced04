/**
 * Monitors in `opendoor serve`, with real servers: a scope rescanned (run now through the API), a
 * new door opened between runs (a real Orthanc), the alert listed and POSTed to a webhook that
 * fails once (retried with backoff, same delivery id, HMAC signature checked); one monitor never
 * runs twice at once; bad schedules and time zones refused.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { runCli } from './harness/cli.js';
import { removeDir, tempDir } from './harness/procs.js';
import { type Serve, addAccounts, startServe } from './harness/serve.js';
import { startOrthanc, type TestServer } from './harness/servers.js';

const SERVE = '127.0.92.1';
const HOOK = '127.0.92.2';
const DOOR = '127.0.92.3';
const DOOR2 = '127.0.92.4';

interface Received {
  body: string;
  signature: string;
  delivery: string;
  status: number;
}

describe('monitors', () => {
  const dir = tempDir('monitors');
  const db = path.join(dir, 'm.db');
  let serve: Serve;
  let tokens: { admin: string; viewer: string };
  let orthanc: TestServer | null = null;
  let orthanc2: TestServer | null = null;
  const received: Received[] = [];
  let failNext = 1;
  const hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (b: Buffer) => (body += b.toString()));
    req.on('end', () => {
      const status = failNext-- > 0 ? 500 : 200;
      received.push({
        body,
        signature: String(req.headers['x-opendoor-signature']),
        delivery: String(req.headers['x-opendoor-delivery']),
        status,
      });
      res.writeHead(status).end();
    });
  });
  let hookUrl = '';

  before(async () => {
    await new Promise<void>((r) => hook.listen(0, HOOK, () => r()));
    const a = hook.address();
    hookUrl = `http://${HOOK}:${typeof a === 'object' && a !== null ? a.port : 0}/alerts`;
    tokens = await addAccounts(db, 'monitor test password');
    serve = await startServe(SERVE, ['--db', db, '--timeout', '1000']);
  });
  after(async () => {
    await serve?.stop();
    await orthanc?.stop();
    await orthanc2?.stop();
    await new Promise<void>((r) => hook.close(() => r()));
    removeDir(dir);
  });

  const post = (p: string, body: unknown, token = tokens.admin) =>
    serve.api(p, { method: 'POST', body: JSON.stringify(body), token });
  const monitor = async (name: string) =>
    (
      (await (await serve.api('/api/v1/monitors', { token: tokens.viewer })).json()).items as Array<
        Record<string, unknown>
      >
    ).find((m) => m.name === name);
  /** Run the monitor now and wait until that run is over (its scan is the monitor's last). */
  const runOnce = async (name: string): Promise<string> => {
    const before = (await monitor(name))?.lastScan;
    assert.equal((await post(`/api/v1/monitors/${name}/run`, {})).status, 202);
    for (const until = Date.now() + 60_000; Date.now() < until; await sleep(200)) {
      const m = await monitor(name);
      if (m?.lastScan !== before && m?.running === null) return String(m.lastScan);
    }
    throw new Error('the run did not end');
  };

  test('bad monitors are refused with the reason (400); a viewer may not add one (403)', async () => {
    const base = { name: 'x', targets: [DOOR], schedule: '0 3 * * *', timezone: 'Europe/Berlin' };
    for (const [bad, why] of [
      [{ schedule: 'every day' }, /schedule "every day"/],
      [{ timezone: 'Mars/Olympus' }, /Mars\/Olympus/],
      [{ targets: ['300.0.0.1'] }, /300\.0\.0\.1/],
      [{ webhook: 'ftp://example/' }, /http\(s\) URL/],
      [{ name: '../etc' }, /monitor name/],
    ] as const) {
      const r = await post('/api/v1/monitors', { ...base, ...bad });
      assert.equal(r.status, 400, JSON.stringify(bad));
      assert.match((await r.json()).error, why);
    }
    assert.equal((await post('/api/v1/monitors', base, tokens.viewer)).status, 403);
  });

  test('a new door between two runs: one alert, on the page, POSTed signed to the webhook, retried once', async () => {
    const created = await post('/api/v1/monitors', {
      name: 'ward',
      targets: [DOOR],
      ports: '8042',
      depth: 'access',
      schedule: '0 3 1 1 *',
      timezone: 'Europe/Berlin',
      webhook: hookUrl,
    });
    assert.equal(created.status, 201);
    const { secret } = (await created.json()) as { secret: string };
    assert.ok(secret.length >= 32, 'the HMAC key, shown once');
    const m = await monitor('ward');
    assert.equal(m?.secret, undefined, 'never shown again');
    assert.ok(
      typeof m?.nextRun === 'string' && String(m.nextRun).startsWith(`${new Date().getFullYear() + 1}-01-01T02:00`),
    );
    const first = await runOnce('ward');
    assert.equal(received.length, 0, 'a first run has nothing to compare with');
    orthanc = await startOrthanc({ host: DOOR, httpPort: 8042, dicomPort: 4242 });
    const second = await runOnce('ward');
    for (
      const until = Date.now() + 15_000;
      received.filter((r) => r.status === 200).length === 0 && Date.now() < until;
    )
      await sleep(100);
    assert.equal(received.length, 2, 'failed once, then taken');
    const [a, b] = received as [Received, Received];
    assert.equal(a.body, b.body);
    assert.equal(a.delivery, b.delivery, 'one delivery id on every attempt');
    assert.equal(b.signature, `sha256=${createHmac('sha256', secret).update(b.body).digest('hex')}`);
    const alert = JSON.parse(b.body);
    assert.equal(alert.type, 'alert');
    assert.equal(alert.monitor, 'ward');
    assert.equal(alert.previousScanId, first);
    assert.equal(alert.scanId, second);
    assert.deepEqual(
      alert.new.map((s: { host: string; port: number }) => `${s.host}:${s.port}`),
      [`${DOOR}:8042`],
    );
    assert.deepEqual(alert.fixed, []);
    const listed = await (await serve.api('/api/v1/alerts', { token: tokens.viewer })).json();
    assert.equal(listed.total, 1);
    assert.equal(listed.items[0].attempts, 2);
    assert.ok(listed.items[0].delivered !== null);
    assert.deepEqual(listed.items[0].alert, alert);
    const page = await (await serve.api('/monitors', { token: tokens.viewer })).text();
    assert.ok(page.includes(`${first} → ${second}`) && page.includes('delivered'), 'the alert on the monitors page');
    // the same as the CLI's diff of those two scans
    const d = JSON.parse((await runCli(['diff', first, second, '--db', db, '--json'])).stdout);
    assert.deepEqual(alert.new, d.new);
  });

  test('a note on a finding (admins only) outlives rescans: on the host page and in every report format', async () => {
    const last = String((await monitor('ward'))?.lastScan);
    const services = await (
      await serve.api(`/api/v1/scans/${last}/services?host=${DOOR}`, { token: tokens.viewer })
    ).json();
    const finding = services.items[0].findings[0].id as string;
    const note = {
      host: DOOR,
      port: 8042,
      finding,
      state: 'accepted-risk',
      note: 'isolated lab; <b>vendor</b> patch in May',
    };
    assert.equal((await post('/api/v1/notes', note, tokens.viewer)).status, 403);
    assert.equal((await post('/api/v1/notes', { ...note, state: 'ignored' })).status, 400);
    assert.equal((await post('/api/v1/notes', note)).status, 204);
    const rescan = await runOnce('ward'); // a later scan of the same door: the note is still there
    assert.notEqual(rescan, last);
    const line = `accepted-risk: isolated lab; <b>vendor</b> patch in May — admin`;
    const md = await runCli(['report', rescan, '--db', db, '--format', 'md']);
    assert.ok(md.stdout.includes(line), 'in the Markdown report');
    const csv = await runCli(['report', rescan, '--db', db, '--format', 'csv']);
    assert.ok(csv.stdout.includes(line), 'in the CSV report');
    const html = await runCli(['report', rescan, '--db', db, '--format', 'html']);
    assert.ok(
      html.stdout.includes('isolated lab; &#60;b&#62;vendor&#60;/b&#62; patch in May'),
      'in the HTML report, escaped',
    );
    const page = await (await serve.api(`/hosts/${DOOR}`, { token: tokens.viewer })).text();
    assert.ok(page.includes('isolated lab; &lt;b&gt;vendor&lt;/b&gt; patch in May'), 'on the host page, escaped');
  });

  test('a one-minute schedule fires by itself: the webhook gets the alert once a new server is in its scope', async () => {
    const created = await post('/api/v1/monitors', {
      name: 'minute',
      targets: [DOOR2],
      ports: '8042',
      depth: 'access',
      schedule: '* * * * *',
      timezone: 'America/New_York',
      webhook: hookUrl,
    });
    assert.equal(created.status, 201);
    await runOnce('minute'); // the run the scheduled one is compared with
    const from = received.length;
    orthanc2 = await startOrthanc({ host: DOOR2, httpPort: 8042, dicomPort: 4242 });
    let alert: { monitor: string; new: Array<{ host: string }> } | null = null;
    for (const until = Date.now() + 150_000; alert === null && Date.now() < until; await sleep(250)) {
      const got = received.slice(from).find((r) => r.status === 200 && JSON.parse(r.body).monitor === 'minute');
      if (got !== undefined) alert = JSON.parse(got.body);
    }
    assert.ok(alert !== null, 'the scheduled run alerted');
    assert.deepEqual(
      alert.new.map((x) => x.host),
      [DOOR2],
    );
    // no more runs of it in this suite
    assert.equal(
      (await post('/api/v1/monitors', { name: 'minute', targets: [DOOR2], schedule: '0 0 1 1 *', timezone: 'UTC' }))
        .status,
      201,
    );
  });

  test('two runs asked at once: one runs, the other is skipped (never two runs of one monitor)', async () => {
    const scansBefore = (await (await serve.api('/api/v1/scans', { token: tokens.viewer })).json()).total;
    const [x, y] = await Promise.all([post('/api/v1/monitors/ward/run', {}), post('/api/v1/monitors/ward/run', {})]);
    assert.deepEqual([x.status, y.status], [202, 202]);
    for (const until = Date.now() + 60_000; Date.now() < until; await sleep(200)) {
      const m = await monitor('ward');
      if (m?.running === null) break;
    }
    await sleep(500);
    const scansAfter = (await (await serve.api('/api/v1/scans', { token: tokens.viewer })).json()).total;
    assert.equal(scansAfter - scansBefore, 1);
  });
});

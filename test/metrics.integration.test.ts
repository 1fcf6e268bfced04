/**
 * GET /metrics of `opendoor serve` as a user runs it: 401 without the metrics token or with
 * another (a user's API token is not it), 404 on a server started without one; Prometheus' text
 * with the token, parsed, its figures moving with a real scan of real servers (an Orthanc, a host
 * that never speaks, addresses with nothing on them): scans running while it runs, then hosts done
 * and probes equal to the scan's hosts and services, the store's latency per operation, the
 * engine's writes among them; alerts pending as the store holds them. On PostgreSQL (the token from
 * the environment): a scan queued for workers is the queue's depth until a worker runs it.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { openStore } from '../src/store/open.js';
import { runCli } from './harness/cli.js';
import { type MuteHosts, startMuteHosts } from './harness/mute.js';
import { type Postgres, startPostgres } from './harness/postgres.js';
import { removeDir, tempDir } from './harness/procs.js';
import { type Serve, addAccounts, startServe } from './harness/serve.js';
import { type TestServer, startOrthanc } from './harness/servers.js';

const ORTHANC = '127.0.96.1';
const SERVE = '127.0.96.20';
const TOKEN = 'metrics-token-for-the-test-0123456789';
const PASSWORD = 'a long enough password';

/** Prometheus' text format: `name{labels} value` a line (comments and HELP/TYPE left out). */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) out.set(m[1], Number(m[2]));
  }
  return out;
}

async function scrape(serve: Serve, token = TOKEN): Promise<Map<string, number>> {
  const r = await fetch(`${serve.base}/metrics`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parse(await r.text());
}

const value = (m: Map<string, number>, key: string): number => {
  const v = m.get(key);
  assert.ok(v !== undefined, `${key} in the metrics`);
  return v;
};

describe('GET /metrics on SQLite', () => {
  const dir = tempDir('metrics');
  const db = path.join(dir, 'metrics.db');
  let orthanc: TestServer;
  let mute: MuteHosts;
  let serve: Serve;
  let tokens: { admin: string; viewer: string };

  before(async () => {
    [orthanc, mute] = await Promise.all([startOrthanc({ host: ORTHANC }), startMuteHosts('127.0.96', 1, 4243)]);
    tokens = await addAccounts(db, PASSWORD);
    // monitors' alerts as the store holds them: one its webhook has not taken (a closed port: it
    // stays pending through the retries), one delivered, one given up after its 8 attempts; a
    // monitor without a webhook has none pending
    const store = await openStore(db);
    for (const [name, webhook] of [
      ['hooked', 'http://127.0.96.9:9/hook'],
      ['plain', null],
    ] as const) {
      await store.monitors.put({
        name,
        request: { targets: ['127.0.96.9'] },
        schedule: '0 3 1 1 *',
        timezone: 'UTC',
        webhook,
        secret: webhook !== null ? 'a-secret' : null,
        email: [],
      });
      for (const n of [1, 2, 3])
        await store.monitors.addAlert({
          id: `${name}-${n}`,
          monitor: name,
          scanId: 's2',
          previousScanId: 's1',
          payload: '{"type":"alert"}',
          created: new Date().toISOString(),
        });
    }
    await store.monitors.delivery('hooked-2', 1, null);
    await store.monitors.delivery('hooked-3', 8, 'HTTP 500');
    await store.close();
    serve = await startServe(SERVE, ['--db', db, '--timeout', '1000', '--metrics-token', TOKEN]);
  });
  after(async () => {
    await serve?.stop();
    await Promise.all([orthanc?.stop(), mute?.stop()]);
    removeDir(dir);
  });

  test('401 without the token, with another, or with a user API token; then the metrics', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token-0123456789', `Bearer ${tokens.admin}`, TOKEN]) {
      const r = await fetch(`${serve.base}/metrics`, {
        headers: authorization !== undefined ? { authorization } : {},
      });
      assert.equal(r.status, 401, authorization);
      assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer/);
      assert.match(await r.text(), /"error"/);
    }
    const m = await scrape(serve);
    assert.equal(value(m, 'opendoor_scans_running'), 0);
    assert.equal(value(m, 'opendoor_hosts_done_total'), 0);
    assert.equal(value(m, 'opendoor_probes_total'), 0);
    assert.equal(value(m, 'opendoor_queue_depth'), 0);
    assert.equal(value(m, 'opendoor_alerts_pending'), 1);
    assert.ok(value(m, 'process_resident_memory_bytes') > 0);
  });

  test('a scan of real servers moves them: running while it runs, then hosts done and probes as the scan says', async () => {
    const started = await serve.api('/api/v1/scans', {
      method: 'POST',
      body: JSON.stringify({ targets: ['127.0.96.1-4'], ports: '4242,4243,8042', depth: 'access' }),
      token: tokens.admin,
    });
    assert.equal(started.status, 201);
    const { scanId } = (await started.json()) as { scanId: string };
    // the host that never speaks holds the scan for its probe's bound: it is seen running
    let running = 0;
    for (let i = 0; i < 200 && running === 0; i++) {
      const m = await scrape(serve);
      running = value(m, 'opendoor_scans_running');
      const row = await (await serve.api(`/api/v1/scans/${scanId}`, { token: tokens.viewer })).json();
      if (row.state === 'done') break;
      await sleep(25);
    }
    assert.equal(running, 1, 'seen running');
    const events = await (await serve.api(`/api/v1/scans/${scanId}/events`, { token: tokens.viewer })).text();
    assert.match(events, /event: end\ndata: \{"state":"done"\}/);
    const scans = await (await serve.api('/api/v1/scans', { token: tokens.viewer })).json();
    const scan = scans.items.find((s: { id: string }) => s.id === scanId);
    assert.equal(scan.hostsDone, 4);
    assert.equal(scan.services, 3, 'Orthanc DICOM and REST, the silent host');

    const m = await scrape(serve);
    assert.equal(value(m, 'opendoor_scans_running'), 0);
    assert.equal(value(m, 'opendoor_hosts_done_total'), scan.hostsDone);
    assert.equal(value(m, 'opendoor_probes_total'), scan.services);
    // the dashboard's own calls, timed at the one seam (the scan wrote from a process of its own)
    const count = (op: string) => value(m, `opendoor_store_seconds_count{operation="${op}"}`);
    assert.ok(count('listScans') >= 2);
    assert.ok(count('scan') >= 2, 'the scan row read while it ran');
    assert.ok(count('accounts.userByToken') >= 1);
    assert.ok(value(m, 'opendoor_store_seconds_sum{operation="listScans"}') > 0);
    assert.equal(
      value(m, 'opendoor_store_seconds_bucket{le="+Inf",operation="listScans"}'),
      count('listScans'),
      'every call in a bucket',
    );
    assert.equal(m.get('opendoor_store_seconds_count{operation="recordHost"}'), undefined, 'no scan write here');
    assert.equal(value(m, 'opendoor_alerts_pending'), 1, 'still retrying');
  });
});

describe('GET /metrics: none without a token; the queue on PostgreSQL', () => {
  let server: Postgres;
  let plain: Serve;
  let queued: Serve;
  let tokens: { admin: string; viewer: string };
  let url = '';
  before(async () => {
    server = await startPostgres('127.0.96.30');
    url = await server.database();
    tokens = await addAccounts(url, PASSWORD);
    [plain, queued] = await Promise.all([
      startServe('127.0.96.31', ['--db', url]),
      startServe('127.0.96.32', ['--db', url, '--timeout', '1000'], { OPENDOOR_METRICS_TOKEN: TOKEN }),
    ]);
  });
  after(async () => {
    await Promise.all([plain?.stop(), queued?.stop()]);
    await server?.stop();
  });

  test('a server started without a metrics token: 404, whatever is sent', async () => {
    const asks: Array<Record<string, string>> = [{}, { authorization: `Bearer ${TOKEN}` }];
    for (const headers of asks) {
      const r = await fetch(`${plain.base}/metrics`, { headers });
      assert.equal(r.status, 404);
    }
  });

  test('OPENDOOR_METRICS_TOKEN; a scan queued for workers is the queue depth until a worker runs it', async () => {
    const before = await scrape(queued);
    assert.equal(value(before, 'opendoor_queue_depth'), 0);
    const started = await queued.api('/api/v1/scans', {
      method: 'POST',
      body: JSON.stringify({ targets: ['127.0.96.40-47'], ports: '9', depth: 'detect' }),
      token: tokens.admin,
    });
    assert.equal(started.status, 201);
    const waiting = await scrape(queued);
    assert.equal(value(waiting, 'opendoor_scans_queued'), 1);
    const slices = value(waiting, 'opendoor_queue_depth');
    assert.ok(slices >= 1, `${slices} slices`);
    const worker = await runCli(['worker', '--db', url, '--until-idle']);
    assert.equal(worker.code, 0, worker.stderr);
    const done = await scrape(queued);
    assert.equal(value(done, 'opendoor_queue_depth'), 0);
    assert.equal(value(done, 'opendoor_scans_queued'), 0);
    assert.equal(value(done, 'opendoor_hosts_done_total'), 8, 'the workers hosts, counted by serve');
  });
});

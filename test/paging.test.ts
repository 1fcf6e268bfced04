/**
 * Paging by cursor at the dashboard's edges, in this process (no socket): the API's `next` walks
 * a scan's services and a host's records page by page, each record once, in order; a cursor that
 * is not ours, or was made for another sort, is a 400 naming no value; the scan page's "next"
 * link carries the cursor and shows the rows after the page, numbered on from the offset.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ServiceRecord } from '../src/output/records.js';
import { type TestApp, startApp } from './harness/app.js';
import { exposure, serviceRecord } from './harness/records.js';

let t: TestApp;
const HOSTS = 45;
before(async () => {
  t = await startApp();
  await t.store.beginScan('big', {});
  for (let h = 0; h < HOSTS; h++)
    await t.store.recordHost(
      'big',
      [104, 8042, 11112].map((port) =>
        serviceRecord(`127.0.${h % 4}.${h}`, port, { exposure: exposure(h % 5), product: h % 3 === 0 ? null : 'X' }),
      ),
      null,
    );
  await t.store.finishScan('big', 'done', HOSTS, 10);
});
after(async () => t.close());

const viewer = () => ({ authorization: `Bearer ${t.tokens.viewer}` });

async function get<T>(url: string, status = 200): Promise<T> {
  const r = await t.app.inject({ method: 'GET', url, headers: viewer() });
  assert.equal(r.statusCode, status, `${url}: ${r.body.slice(0, 200)}`);
  return r.json() as T;
}

type Page = { items: ServiceRecord[]; total: number; limit: number; offset: number; next: string | null };
const key = (r: ServiceRecord) => `${r.host}:${r.port}`;

test('the API: next walks every record once, in order, for each sort; a cursor not ours or of another sort is a 400', async () => {
  for (const q of ['', '&sort=patients&desc=true', '&sort=product', '&sort=port&exposed=true']) {
    const whole = await get<Page>(`/api/v1/scans/big/services?limit=500${q}`);
    assert.equal(whole.next, null);
    const seen: string[] = [];
    let page = await get<Page>(`/api/v1/scans/big/services?limit=17${q}`);
    while (true) {
      assert.equal(page.total, whole.total);
      seen.push(...page.items.map(key));
      if (page.next === null) break;
      assert.match(page.next, /^[A-Za-z0-9_-]+$/);
      page = await get<Page>(`/api/v1/scans/big/services?limit=17${q}&after=${page.next}`);
    }
    assert.deepEqual(seen, whole.items.map(key), q);
  }
  const next = (await get<Page>('/api/v1/scans/big/services?limit=5&sort=port')).next;
  for (const bad of [`${next}&sort=studies`, 'bm90IG91cnM', 'x'])
    assert.deepEqual(Object.keys(await get(`/api/v1/scans/big/services?after=${bad}`, 400)), ['error']);
  assert.deepEqual(Object.keys(await get('/api/v1/scans/big/services?after=not%20a%20cursor', 400)), ['error']);
});

test("the API: a host's records across scans by cursor", async () => {
  await t.store.beginScan('again', {});
  await t.store.recordHost('again', [serviceRecord('127.0.1.5', 104)], null);
  const whole = await get<{ items: Array<{ scanId: string; record: ServiceRecord }> }>('/api/v1/hosts/127.0.1.5');
  assert.equal(whole.items.length, 4);
  const seen: string[] = [];
  for (let url = '/api/v1/hosts/127.0.1.5?limit=1'; ; ) {
    const p = await get<{ items: Array<{ scanId: string; record: ServiceRecord }>; next: string | null }>(url);
    seen.push(...p.items.map((i) => `${i.scanId} ${i.record.port}`));
    if (p.next === null) break;
    url = `/api/v1/hosts/127.0.1.5?limit=1&after=${p.next}`;
  }
  assert.deepEqual(
    seen,
    whole.items.map((i) => `${i.scanId} ${i.record.port}`),
  );
});

test('the scan page: "next" carries the cursor and the rows after the page, numbered on', async () => {
  const first = await t.app.inject({ method: 'GET', url: '/scans/big?sort=patients', headers: viewer() });
  assert.equal(first.statusCode, 200);
  const link = /<a rel="next" href="([^"]+)"/.exec(first.body)?.[1]?.replace(/&amp;/g, '&');
  assert.ok(link?.includes('after='), link);
  assert.ok(link?.includes('offset=50'), link);
  const second = await t.app.inject({ method: 'GET', url: `/scans/big${link}`, headers: viewer() });
  assert.equal(second.statusCode, 200);
  assert.match(second.body, /51–100 shown/);
  const api = await get<Page>('/api/v1/scans/big/services?limit=50&offset=50&sort=patients');
  for (const r of api.items) assert.ok(second.body.includes(`>${r.host}</a>`));
  const third = /<a rel="next" href="([^"]+)"/.exec(second.body)?.[1]?.replace(/&amp;/g, '&');
  const last = await t.app.inject({ method: 'GET', url: `/scans/big${third}`, headers: viewer() });
  assert.match(last.body, /101–135 shown/);
  assert.doesNotMatch(last.body, /rel="next"/);
  const bad = await t.app.inject({ method: 'GET', url: '/scans/big?after=bm90IG91cnM', headers: viewer() });
  assert.equal(bad.statusCode, 400);
});

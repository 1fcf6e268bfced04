/**
 * Paging by cursor at the dashboard's edges, in this process (no socket): the API's `next` walks
 * a scan's services and a host's records page by page, each record once, in order, and `prev`
 * walks them back; a cursor that is not ours, or was made for another sort, or `after` with
 * `before`, is a 400 naming no value; the scan page's "next" and "previous" links carry cursors
 * and show the rows after and before the page, numbered from the offset.
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

type Page = {
  items: ServiceRecord[];
  total: number;
  limit: number;
  offset: number;
  next: string | null;
  prev: string | null;
};
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
    // and back from the last page by prev, each record once, in order
    const back: string[] = [];
    while (true) {
      back.unshift(...page.items.map(key));
      if (page.prev === null) break;
      assert.match(page.prev, /^[A-Za-z0-9_-]+$/);
      page = await get<Page>(`/api/v1/scans/big/services?limit=17${q}&before=${page.prev}`);
    }
    assert.deepEqual(back, seen, q);
  }
  const next = (await get<Page>('/api/v1/scans/big/services?limit=5&sort=port')).next;
  for (const bad of [`${next}&sort=studies`, 'bm90IG91cnM', 'x'])
    assert.deepEqual(Object.keys(await get(`/api/v1/scans/big/services?after=${bad}`, 400)), ['error']);
  assert.deepEqual(Object.keys(await get('/api/v1/scans/big/services?after=not%20a%20cursor', 400)), ['error']);
  for (const bad of [`${next}&sort=studies`, 'bm90IG91cnM', `${next}&sort=port&after=${next}`])
    assert.deepEqual(Object.keys(await get(`/api/v1/scans/big/services?before=${bad}`, 400)), ['error']);
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
  const back: string[] = [];
  for (let url = '/api/v1/hosts/127.0.1.5?limit=3&offset=3'; ; ) {
    const p = await get<{ items: Array<{ scanId: string; record: ServiceRecord }>; prev: string | null }>(url);
    back.unshift(...p.items.map((i) => `${i.scanId} ${i.record.port}`));
    if (p.prev === null) break;
    url = `/api/v1/hosts/127.0.1.5?limit=3&before=${p.prev}`;
  }
  assert.deepEqual(back, seen);
  const { prev } = await get<{ prev: string }>('/api/v1/hosts/127.0.1.5?limit=1&offset=1');
  await get(`/api/v1/hosts/127.0.1.5?before=${prev}&after=${prev}`, 400);
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

const linkOf = (body: string, rel: string) =>
  new RegExp(`<a rel="${rel}" href="([^"]+)"`).exec(body)?.[1]?.replace(/&amp;/g, '&');

test('the scan page: "previous" carries a cursor to the rows before the page, numbered back from the offset', async () => {
  const page = async (link: string) => {
    const r = await t.app.inject({ method: 'GET', url: `/scans/big${link}`, headers: viewer() });
    assert.equal(r.statusCode, 200, link);
    return r.body;
  };
  const rows = async (offset: number) =>
    (await get<Page>(`/api/v1/scans/big/services?limit=50&offset=${offset}&sort=studies&desc=true`)).items;
  const hosts = (body: string) => [...body.matchAll(/<a href="\/hosts\/[^"]+">([^<]+)<\/a>/g)].map((m) => m[1]);
  const first = await page('?sort=studies&desc=true');
  assert.equal(linkOf(first, 'prev'), undefined);
  const second = await page(linkOf(first, 'next') ?? '');
  const third = await page(linkOf(second, 'next') ?? '');
  assert.match(third, /101–135 shown/);
  // back from the last page: a cursor link, the second page's rows, then the first's (no previous)
  const back = linkOf(third, 'prev') ?? '';
  assert.match(back, /[?&]before=[A-Za-z0-9_-]+/);
  assert.match(back, /[?&]offset=50(&|$)/);
  assert.doesNotMatch(back, /[?&]after=/);
  assert.match(back, /sort=studies/);
  const secondAgain = await page(back);
  assert.match(secondAgain, /51–100 shown/);
  assert.deepEqual(
    hosts(secondAgain),
    (await rows(50)).map((r) => r.host),
  );
  assert.deepEqual(hosts(secondAgain), hosts(second));
  const firstAgain = await page(linkOf(secondAgain, 'prev') ?? '');
  assert.match(firstAgain, /1–50 shown/);
  assert.deepEqual(
    hosts(firstAgain),
    (await rows(0)).map((r) => r.host),
  );
  assert.equal(linkOf(firstAgain, 'prev'), undefined);
  // and forward again from a page reached going back
  assert.match(await page(linkOf(firstAgain, 'next') ?? ''), /51–100 shown/);
  // a kept offset link still works, and its previous link is a cursor too
  const kept = await page('?sort=studies&desc=true&offset=100');
  assert.match(kept, /101–135 shown/);
  assert.match(linkOf(kept, 'prev') ?? '', /before=/);
  // a page reached back from a kept offset not on a page's edge: its rows numbered from 1
  const odd = await page(linkOf(await page('?sort=studies&desc=true&offset=10'), 'prev') ?? '');
  assert.match(odd, /1–10 shown/);
  assert.deepEqual(
    hosts(odd),
    (await rows(0)).slice(0, 10).map((r) => r.host),
  );
});

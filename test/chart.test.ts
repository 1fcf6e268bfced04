/**
 * The overview's trend chart: with one scan as with thirty, axes labelled (scan dates along the
 * bottom, exposed services left, patients right) and every value in a <title> shown on hover; drawn
 * as inline SVG, no script, nothing from another origin.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { niceMax, trendChart } from '../src/serve/chart.js';
import { type TestApp, startApp } from './harness/app.js';

let t: TestApp;
before(async () => {
  t = await startApp();
});
after(async () => t.close());

test('axes from 0 to a round top; dates along the bottom, at most eight; every value titled', () => {
  assert.deepEqual([0, 1, 3, 10, 11, 240, 5001].map(niceMax), [1, 1, 5, 10, 20, 500, 10000]);
  const one = trendChart([{ id: 's1', started: '2026-12-01T10:00:00Z', exposed: 3, patients: 40 }]);
  assert.deepEqual(
    one.leftTicks.map((k) => k.label),
    ['0', '5'],
  );
  assert.deepEqual(
    one.rightTicks.map((k) => k.label),
    ['0', '25', '50'],
  );
  assert.deepEqual(
    one.dates.map((d) => d.label),
    ['2026-12-01'],
  );
  assert.equal(one.bars[0]?.title, '2026-12-01, scan s1: 3 exposed services, 40 patients');
  assert.equal(one.dots[0]?.title, '2026-12-01, scan s1: 40 patients');
  const bar = one.bars[0];
  assert.ok(bar !== undefined && bar.y + bar.h === one.plot.bottom && bar.h > 0, 'the bar stands on the x axis');
  const many = trendChart(
    Array.from({ length: 30 }, (_, i) => ({
      id: `s${i}`,
      started: `2026-11-${String(i + 1).padStart(2, '0')}T00:00:00Z`,
      exposed: i,
      patients: 1000 - i,
    })),
  );
  assert.ok(many.dates.length <= 8 && many.dates[0]?.label === '2026-11-01');
  assert.equal(many.bars.length, 30);
  for (const b of many.bars) assert.ok(b.x >= many.plot.left && b.x + b.w <= many.plot.right);
});

test('the overview page draws it: axis labels, hover titles, no script from elsewhere', async () => {
  const r = await t.app.inject({ method: 'GET', url: '/', headers: { authorization: `Bearer ${t.tokens.viewer}` } });
  assert.equal(r.statusCode, 200);
  const svg = /<svg class="chart"[\s\S]*?<\/svg>/.exec(r.body)?.[0] ?? '';
  const day = new Date().toISOString().slice(0, 10); // the harness's scan started today
  assert.match(svg, new RegExp(`<text class="tick"[^>]*>${day}</text>`));
  assert.match(svg, />exposed<\/text>[\s\S]*>patients<\/text>[\s\S]*>scan date<\/text>/);
  assert.match(
    svg,
    /<rect class="bar"[^>]*><title>\d{4}-\d\d-\d\d, scan scan-1: 1 exposed service, 3 patients<\/title><\/rect>/,
  );
  assert.match(svg, /<circle class="dot"[^>]*><title>\d{4}-\d\d-\d\d, scan scan-1: 3 patients<\/title><\/circle>/);
  assert.doesNotMatch(r.body, /<script(?![^>]*src="\/static\/)[^>]*src=/);
  assert.match(String(r.headers['content-security-policy']), /script-src 'self'/);
});

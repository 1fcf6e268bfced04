/**
 * The metrics' parts in this process: the store timed at its one seam (a real SQLite store) answers
 * and fails as the store does, each settled call told once under its operation's name (the parts as
 * `part.method`), generators passed through; a metrics token that is no token is a usage error.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { timedStore } from '../src/metrics/storeTiming.js';
import { openStore } from '../src/store/open.js';
import { runCli } from './harness/cli.js';

test('the timed store: the same answers and errors, every settled call told once by its operation', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'opendoor-timed-'));
  const raw = await openStore(path.join(dir, 'timed.db'));
  const told: Array<[string, number]> = [];
  const store = timedStore(raw, (op, s) => told.push([op, s]));
  try {
    assert.equal(store.where, raw.where);
    await store.beginScan('s1', { targets: ['127.0.0.1'] });
    assert.equal((await store.scan('s1'))?.id, 's1');
    assert.equal(await store.scan('nope'), null);
    assert.equal(await store.accounts.userCount(), 0);
    assert.equal(store.accounts, store.accounts, 'a part is wrapped once');
    // a failing call fails as before, and is timed too
    await assert.rejects(store.beginScan('s1', { targets: ['127.0.0.1'] }), 'the same scan twice');
    await store.monitors.delivery('no-such-alert', 1, null);
    // a generator is no promise: passed through, untimed
    const records = [];
    for await (const r of store.services('s1')) records.push(r);
    assert.deepEqual(records, []);
    const ops = told.map(([op]) => op);
    assert.deepEqual(ops.slice(0, 4), ['beginScan', 'scan', 'scan', 'accounts.userCount']);
    assert.ok(ops.includes('monitors.delivery'));
    assert.equal(ops.filter((op) => op === 'beginScan').length, 2, 'a failed call is timed');
    assert.ok(!ops.includes('services'));
    assert.ok(told.every(([, s]) => s >= 0 && s < 5));
  } finally {
    await raw.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serve: a metrics token that is no token, from the option or the environment: one line, exit 2', async () => {
  const short = await runCli(['serve', '--metrics-token', 'short', '--db', '/nonexistent/x.db']);
  assert.equal(short.code, 2);
  assert.match(short.stderr, /^opendoor: --metrics-token \(or OPENDOOR_METRICS_TOKEN\) must be 16 to 200/);
  const spaced = await runCli(['serve', '--db', '/nonexistent/x.db'], undefined, {
    OPENDOOR_METRICS_TOKEN: 'a token with spaces in it',
  });
  assert.equal(spaced.code, 2);
  assert.equal(spaced.stderr.split('\n').length, 2);
});

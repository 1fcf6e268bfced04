/** One scan's lifecycle over a real SQLite store: a stored scan loaded with its arguments checked once; the queue a property of the store. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ScanJob } from '../src/engine/job.js';
import { planArgsFrom } from '../src/engine/plan.js';
import { parseTarget } from '../src/targets/spec.js';
import { openStore } from '../src/store/open.js';
import { NoQueueError } from '../src/store/store.js';
import { silentLogger } from '../src/util/log.js';
import { runCli } from './harness/cli.js';
import { PLAN_BASE } from './harness/plan.js';
import { tempDir } from './harness/procs.js';

test('a stored scan: loaded with its plan as stored; missing, or not a plan (a merge), said as such', async () => {
  const db = path.join(tempDir('job'), 'j.db');
  const store = await openStore(db);
  try {
    const args = planArgsFrom([{ spec: parseTarget('192.0.2.0/30'), ports: null }], [parseTarget('192.0.2.1')], {
      ...PLAN_BASE,
      shard: null,
    });
    const made = await ScanJob.create(store, 'new', args, silentLogger);
    assert.equal(made.row, null);
    await made.begin('queued');
    const loaded = await ScanJob.load(store, 'new', silentLogger);
    assert.ok(typeof loaded !== 'string');
    assert.deepEqual(loaded.args, args);
    assert.equal(loaded.plan.total, 3n, 'four addresses, one excluded');
    assert.equal(loaded.row?.status, 'queued');
    const wider = await ScanJob.load(store, 'new', silentLogger, { concurrency: 9 });
    assert.ok(typeof wider !== 'string');
    assert.equal(wider.args.concurrency, 9, 'a worker runs it at its own concurrency');
    assert.equal(await ScanJob.load(store, 'nothing', silentLogger), 'missing');
    await store.beginScan('merged', { mergedFrom: ['a.db', 'b.db'] });
    assert.equal(await ScanJob.load(store, 'merged', silentLogger), 'not-a-plan');
  } finally {
    await store.close();
  }
  // the CLI says so: a merged scan is no plan to resume
  const r = await runCli(['scan', '--resume', 'merged', '--db', db]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^opendoor: scan merged cannot be resumed: it holds no scan plan\n$/);
});

test('the work queue is a property of the store: one without it is refused before a file is made', async () => {
  const db = path.join(tempDir('job'), 'none.db');
  await assert.rejects(openStore(db, { queueFor: 'worker' }), (e: unknown) => {
    assert.ok(e instanceof NoQueueError);
    assert.match(e.message, /^worker needs the shared database/);
    return true;
  });
  assert.equal(existsSync(db), false);
  const store = await openStore(db);
  try {
    assert.equal(store.queue, null);
  } finally {
    await store.close();
  }
});

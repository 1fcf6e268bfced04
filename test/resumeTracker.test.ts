/** The resume tracker alone: where a scan stands as items enter, finish and are opted out. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ResumeTracker } from '../src/engine/resumeTracker.js';
import { planArgsOf, storedDepth } from '../src/engine/storedArgs.js';

const item = (idx: bigint, next?: bigint) => ({
  idx,
  host: `192.0.2.${idx}`,
  ports: [104],
  ...(next !== undefined ? { next } : {}),
});

test('a new scan: entered items are pending until done; the step is where the walk stands', () => {
  const t = new ResumeTracker(null);
  assert.deepEqual(t.snapshot(), { step: 0n, hostsDone: 0, optedOut: 0, pending: [] });
  t.enter(item(5n, 1n));
  t.enter(item(9n, 2n));
  assert.deepEqual(t.snapshot(), { step: 2n, hostsDone: 0, optedOut: 0, pending: [5n, 9n] });
  assert.equal(t.pending(5n), true);
  // as it will stand once 5 is done (what the primary sink saves with 5's records)
  assert.deepEqual(t.snapshot(5n), { step: 2n, hostsDone: 1, optedOut: 0, pending: [9n] });
  assert.equal(t.unfinishedCount, 2, 'a snapshot changes nothing');
  t.done(5n);
  assert.equal(t.pending(5n), false);
  assert.deepEqual(t.snapshot(), { step: 2n, hostsDone: 1, optedOut: 0, pending: [9n] });
  assert.equal(t.unfinishedCount, 1);
});

test('resumed: counts go on from where it stood; opted-out items pass the step and are never pending', () => {
  const t = new ResumeTracker({ step: 40n, pending: [3n], hostsDone: 7, optedOut: 2 });
  assert.deepEqual(t.snapshot(), { step: 40n, hostsDone: 7, optedOut: 2, pending: [] }, 'pending ones are run again');
  t.enter(item(3n)); // a pending item run again: no `next`, the step stays
  assert.equal(t.snapshot().step, 40n);
  t.optOut(item(11n, 41n));
  assert.equal(t.optedOut, 3);
  assert.deepEqual(t.snapshot(), { step: 41n, hostsDone: 7, optedOut: 3, pending: [3n] });
  t.done(3n);
  assert.deepEqual(t.snapshot(), { step: 41n, hostsDone: 8, optedOut: 3, pending: [] });
});

test('an item that failed stays pending: the scan stays resumable', () => {
  const t = new ResumeTracker(null);
  t.enter(item(1n, 1n));
  t.enter(item(2n, 2n));
  t.done(2n);
  assert.equal(t.unfinishedCount, 1);
  assert.deepEqual(t.snapshot().pending, [1n]);
});

test('stored arguments: a plan as stored is read back whole; anything else is not a plan', () => {
  const plan = {
    targets: [{ spec: '192.0.2.0/24', ports: null }],
    excludes: ['192.0.2.7'],
    ports: [104, 11112],
    depth: 'count',
    timeoutMs: 3000,
    concurrency: 64,
    rate: 1000,
    aeTitles: [],
    maxQueries: 5000,
    countBudgetMs: 120000,
    shard: { k: 1, n: 2 },
    seed: '00ff00ff00ff00ff',
    attribution: { rdap: { url: null, ttlS: 60, rate: 2 } },
  };
  assert.deepEqual(planArgsOf(JSON.stringify(plan)), plan);
  assert.equal(planArgsOf(JSON.stringify({ mergedFrom: ['a.db'] })), null);
  assert.equal(planArgsOf(JSON.stringify({ ...plan, depth: 'deep' })), null);
  assert.equal(planArgsOf(JSON.stringify({ ...plan, targets: ['192.0.2.1'] })), null);
  assert.equal(planArgsOf('not json'), null);
  assert.equal(storedDepth(JSON.stringify({ targets: ['192.0.2.1'], depth: 'retrieve' })), 'retrieve');
  assert.equal(storedDepth('{}'), null);
});

/** Slices of a queued scan: they cover the seeded walk exactly once, whatever its size and shard. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { buildPlan, planArgsFrom, planSteps, sliceItems, workItems } from '../src/engine/plan.js';
import { MAX_SLICES, cutSlices, sliceSize } from '../src/queue/enqueue.js';
import { nextTake } from '../src/queue/sliceRun.js';
import { parseTarget } from '../src/targets/spec.js';
import { silentLogger } from '../src/util/log.js';
import { PLAN_BASE } from './harness/plan.js';

const base = PLAN_BASE;

test('slices cut [0, steps) into adjacent parts: 4 to 1,024 steps each, at least 64 parts when there are the steps', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: 1n << 20n }), (steps) => {
      const s = cutSlices(steps);
      let at = 0n;
      for (const x of s) {
        assert.equal(x.from, at);
        assert.ok(x.to > x.from && x.to - x.from <= 1024n);
        at = x.to;
      }
      assert.equal(at, steps);
      if (steps >= 256n) assert.ok(s.length >= 64);
      if (steps > 0n && steps <= 4n) assert.equal(s.length, 1);
    }),
  );
  // the whole IPv4 space, an IPv6 /64: never more than MAX_SLICES jobs (slices grow instead)
  for (const steps of [1n << 32n, 1n << 64n, 3n * MAX_SLICES * 1024n + 1n]) {
    const size = sliceSize(steps);
    assert.ok((steps + size - 1n) / size <= MAX_SLICES, `${steps}`);
    assert.ok(size >= 1024n);
  }
});

test('the items of all slices are the items of the whole walk, each once (with exclusions, explicit ports, shards)', async () => {
  for (const [cidr, shard] of [
    ['192.0.2.0/24', null],
    ['192.0.2.0/27', null],
    ['192.0.2.0/22', { k: 2, n: 3 }],
    ['192.0.2.9', null],
  ] as const) {
    const entries = [
      { spec: parseTarget(cidr), ports: null },
      { spec: parseTarget('198.51.100.7'), ports: [4242] },
    ];
    const plan = await buildPlan(planArgsFrom(entries, [parseTarget('192.0.2.5')], { ...base, shard }), silentLogger);
    const whole = [...workItems(plan)].map((w) => `${w.host}:${w.ports.join(',')}`);
    const parts = cutSlices(planSteps(plan)).flatMap((s) =>
      [...sliceItems(plan, s.from, s.to)].map((w) => `${w.host}:${w.ports.join(',')}`),
    );
    assert.deepEqual(parts, whole, cidr);
    assert.equal(new Set(parts).size, parts.length);
    assert.ok(!parts.some((p) => p.startsWith('192.0.2.5:')), 'an excluded host is in no slice');
  }
});

test('a worker takes quick slices many at a time (about 2 s of work at the last pace, at most twice the last take, up to 256), slow ones one by one', () => {
  assert.equal(nextTake(1, 40), 2, '40 ms a slice: twice as many');
  assert.equal(nextTake(32, 32 * 40), 50, 'then as many as fill 2 s');
  assert.equal(nextTake(200, 200), 256, 'never more than 256');
  assert.equal(nextTake(1, 1200), 1, 'a slice of 1.2 s: one at a time');
  assert.equal(nextTake(8, 8 * 5000), 1, 'slower than 2 s a slice: back to one');
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 256 }), fc.double({ min: 0, max: 1e7, noNaN: true }), (took, ms) => {
      const n = nextTake(took, ms);
      assert.ok(Number.isInteger(n) && n >= 1 && n <= 256 && n <= 2 * took);
    }),
  );
});

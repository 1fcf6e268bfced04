/** The target space: exact scope, duplicates once, exclusions cut, a full-cycle permutation, shards that partition. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { buildPlan, planArgsFrom, workItems } from '../src/engine/plan.js';
import { TargetSet, TargetSpace, intervalOf, parseShard, permutation } from '../src/targets/space.js';
import { contains, parseTarget } from '../src/targets/spec.js';
import { silentLogger } from '../src/util/log.js';
import { PLAN_BASE } from './harness/plan.js';

const iv = (t: string) => {
  const x = intervalOf(parseTarget(t));
  assert.ok(x !== null);
  return x;
};

test('permutation: every index exactly once, for any size and seed', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 3000 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (n, seed) => {
      const seen = [...permutation(BigInt(n), seed)];
      assert.equal(seen.length, n);
      assert.equal(new Set(seen).size, n);
      assert.ok(seen.every((x) => x >= 0n && x < BigInt(n)));
    }),
    { numRuns: 200 },
  );
});

test('permutation: resuming at any cursor step continues exactly where the walk stood', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 3000 }),
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      fc.nat(),
      (n, seed, cut) => {
        const whole = [...permutation(BigInt(n), seed)];
        const cursor = { step: 0n };
        const head: bigint[] = [];
        const target = cut % (n + 1);
        if (target > 0) {
          for (const x of permutation(BigInt(n), seed, 0n, cursor)) {
            head.push(x);
            if (head.length >= target) break;
          }
        }
        assert.deepEqual([...head, ...permutation(BigInt(n), seed, cursor.step)], whole);
      },
    ),
    { numRuns: 300 },
  );
  const cursor = { step: 0n };
  let k = 0;
  for (const _ of permutation(1n << 40n, 5n, 0n, cursor)) if (++k === 3) break;
  assert.deepEqual(
    [...take(permutation(1n << 40n, 5n, cursor.step), 2)],
    [...take(permutation(1n << 40n, 5n), 5)].slice(3),
    'a jump into a 2^40 walk',
  );
});

function* take<T>(it: Iterable<T>, n: number): Generator<T> {
  if (n <= 0) return;
  for (const x of it) {
    yield x;
    if (--n === 0) return;
  }
}

test('permutation: consecutive addresses are spread out (a subnet is not hammered)', () => {
  const order = [...permutation(65536n, 7n)].slice(0, 256);
  const sameSlash24 = order.filter((x) => x >> 8n === (order[0] as bigint) >> 8n).length;
  assert.ok(sameSlash24 < 16, `${sameSlash24} of the first 256 in one /24`);
});

test('space: overlaps merged, exclusions cut out, index → address', () => {
  const s = new TargetSpace(
    [iv('192.0.2.0/30'), iv('192.0.2.2-6'), iv('192.0.2.5')],
    [iv('192.0.2.1'), iv('192.0.2.4/31')],
  );
  assert.equal(s.size, 4n); // .0 .2 .3 .6
  assert.deepEqual(
    [0n, 1n, 2n, 3n].map((i) => s.at(i)),
    ['192.0.2.0', '192.0.2.2', '192.0.2.3', '192.0.2.6'],
  );
  const big = new TargetSpace([iv('240.0.0.0/8'), iv('2001:db8::/64')], [iv('240.1.0.0/16')]);
  assert.equal(big.size, (1n << 24n) - (1n << 16n) + (1n << 64n));
  assert.equal(big.at(0n), '240.0.0.0');
  assert.equal(big.at(1n << 16n), '240.2.0.0');
});

test('space: any blocks minus any exclusions, in both families, is exactly the set difference', () => {
  const span = fc.tuple(
    fc.constantFrom<4 | 6>(4, 6),
    fc.integer({ min: 0, max: 200 }),
    fc.integer({ min: 0, max: 20 }),
  );
  const toIv = ([family, first, len]: [4 | 6, number, number]) => ({
    family,
    first: BigInt(first),
    last: BigInt(first + len),
  });
  fc.assert(
    fc.property(fc.array(span, { maxLength: 12 }), fc.array(span, { maxLength: 12 }), (blocks, cuts) => {
      const want = new Set<string>();
      for (const [f, a, n] of blocks) for (let v = a; v <= a + n; v++) want.add(`${f}:${v}`);
      for (const [f, a, n] of cuts) for (let v = a; v <= a + n; v++) want.delete(`${f}:${v}`);
      const space = new TargetSpace(blocks.map(toIv), cuts.map(toIv));
      const got = space.intervals.flatMap((x) =>
        Array.from({ length: Number(x.last - x.first) + 1 }, (_, i) => `${x.family}:${Number(x.first) + i}`),
      );
      assert.equal(space.size, BigInt(want.size));
      assert.deepEqual(got.sort(), [...want].sort());
    }),
    { numRuns: 500 },
  );
});

test('target sets answer membership as the specs one by one would (blocks of both families, names)', () => {
  const spec = fc.oneof(
    fc
      .tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 30 }))
      .map(([a, n]) => `127.0.${a >> 8}.${a & 255}-127.0.${(a + n) >> 8}.${(a + n) & 255}`),
    fc
      .tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 30 }))
      .map(([a, n]) => `2001:db8::${a.toString(16)}-2001:db8::${(a + n).toString(16)}`),
    fc.constantFrom('pacs.example', 'PACS2.example'),
  );
  const host = fc.oneof(
    fc.integer({ min: 0, max: 340 }).map((a) => `127.0.${a >> 8}.${a & 255}`),
    fc.integer({ min: 0, max: 340 }).map((a) => `2001:db8::${a.toString(16)}`),
    fc.constantFrom('pacs.example', 'pacs2.example', 'other.example', '192.0.2.1'),
  );
  fc.assert(
    fc.property(fc.array(spec, { maxLength: 30 }), fc.array(host, { minLength: 1, maxLength: 30 }), (texts, hosts) => {
      const specs = texts.map(parseTarget);
      const set = new TargetSet(specs);
      for (const h of hosts)
        assert.equal(
          set.has(h),
          specs.some((s) => contains(s, h)),
          h,
        );
    }),
    { numRuns: 300 },
  );
});

test('shards: N parts are disjoint and together the whole', async () => {
  const base = PLAN_BASE;
  const entries = [
    { spec: parseTarget('192.0.2.0/27'), ports: null },
    { spec: parseTarget('198.51.100.7'), ports: [4242] },
  ];
  const all = [...workItems(await buildPlan(planArgsFrom(entries, [], { ...base, shard: null }), silentLogger))]
    .map((w) => w.host)
    .sort();
  assert.equal(all.length, 33);
  const parts: string[] = [];
  for (let k = 1; k <= 3; k++) {
    const plan = await buildPlan(planArgsFrom(entries, [], { ...base, shard: { k, n: 3 } }), silentLogger);
    const hosts = [...workItems(plan)].map((w) => w.host);
    assert.equal(BigInt(hosts.length), plan.total);
    parts.push(...hosts);
  }
  assert.deepEqual(parts.sort(), all);
  assert.deepEqual(parseShard('2/3'), { k: 2, n: 3 });
  for (const bad of ['0/3', '4/3', '1/0', 'a/b', '1']) assert.equal(parseShard(bad), null);
});

test('explicit ports from a sweeper are kept per host, excluded hosts dropped', async () => {
  const base = { ...PLAN_BASE, shard: null };
  const entries = [
    { spec: parseTarget('192.0.2.9'), ports: [104] },
    { spec: parseTarget('192.0.2.9'), ports: [11112] },
    { spec: parseTarget('192.0.2.10'), ports: [104] },
  ];
  const plan = await buildPlan(planArgsFrom(entries, [parseTarget('192.0.2.10')], base), silentLogger);
  assert.deepEqual(
    [...workItems(plan)].map((w) => [w.host, w.ports]),
    [['192.0.2.9', [104, 11112]]],
  );
});

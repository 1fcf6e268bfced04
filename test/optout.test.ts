/** The opt-out list as the engine applies it (targets/optout.ts): one spelling per scope, blocks merged, AS scopes through the given expansion. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { NO_AS_DATA, canonicalScope, optOutEntry, optOutSet } from '../src/targets/optout.js';
import { InputError } from '../src/util/errors.js';
import { ipv4Number } from '../src/targets/address.js';

test('one spelling per scope: an address, an aligned block as CIDR, any other block as a full range, AS numbers', () => {
  for (const [written, canonical] of [
    ['192.0.2.7', '192.0.2.7'],
    ['192.0.2.7/32', '192.0.2.7'],
    ['192.0.2.7-7', '192.0.2.7'],
    ['192.0.2.77/24', '192.0.2.0/24'],
    ['192.0.2.0-192.0.2.255', '192.0.2.0/24'],
    ['192.0.2.0-255', '192.0.2.0/24'],
    ['192.0.2.1-40', '192.0.2.1-192.0.2.40'],
    ['192.0.2.128-192.0.3.127', '192.0.2.128-192.0.3.127'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['2001:DB8::1/32', '2001:db8::/32'],
    [' as64500 ', 'AS64500'],
  ] as const)
    assert.equal(canonicalScope(written).text, canonical, written);
  for (const bad of ['pacs.example.org', '192.0.2.0/33', 'AS4294967296', '', '192.0.2.9-1'])
    assert.throws(() => canonicalScope(bad), InputError, bad);
  assert.throws(() => optOutEntry('192.0.2.1', 'a\nb'), InputError);
  assert.throws(() => optOutEntry('192.0.2.1', 'x'.repeat(501)), InputError);
  assert.deepEqual(optOutEntry('192.0.2.1/32', '  asked  '), { scope: '192.0.2.1', reason: 'asked' });
});

test('the canonical spelling covers exactly the addresses written (property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 5000 }), (first, span) => {
      const last = Math.min(0xffffffff, first + span);
      const f = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
      const written = canonicalScope(`${f(first)}-${f(last)}`);
      const again = canonicalScope(written.text);
      assert.equal(again.text, written.text);
      assert.ok(again.kind === 'block' && again.first === BigInt(first) && again.last === BigInt(last));
    }),
  );
});

test('membership: blocks of both families; AS scopes through the expansion given, listed as unapplied without it', () => {
  const scopes = ['192.0.2.0/30', '192.0.2.10-12', '2001:db8::/64', 'AS64500', 'AS64501'].map(canonicalScope);
  const none = optOutSet(scopes, NO_AS_DATA);
  assert.deepEqual(
    ['192.0.2.0', '192.0.2.3', '192.0.2.4', '192.0.2.9', '192.0.2.10', '192.0.2.12', '192.0.2.13'].map((h) =>
      none.has(h),
    ),
    [true, true, false, false, true, true, false],
  );
  assert.equal(none.has('2001:db8::ffff'), true);
  assert.equal(none.has('2001:db8:0:1::'), false);
  assert.equal(none.has('pacs.example.org'), false, 'names are resolved before they are asked about');
  assert.deepEqual(none.unapplied, ['AS64500', 'AS64501']);
  assert.equal(none.has('198.51.100.7'), false);
  // with AS data: AS64500 announces 198.51.100.0/24; AS64501 nothing known
  const withAs = optOutSet(scopes, (asn) =>
    asn === 64500 ? [{ family: 4, first: 0xc6336400n, last: 0xc63364ffn }] : [],
  );
  assert.equal(withAs.has('198.51.100.7'), true);
  assert.equal(withAs.has('198.51.101.7'), false);
  assert.deepEqual(withAs.unapplied, ['AS64501']);
});

test('ipv4Number (the fast parse the list uses on every item) agrees with the strict dotted-quad grammar (property)', () => {
  const STRICT = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
  const text = fc.oneof(
    fc.stringMatching(/^[0-9.]{0,17}$/),
    fc
      .tuple(...Array.from({ length: 4 }, () => fc.integer({ min: 0, max: 300 })), fc.constantFrom('', '0', ' ', 'x'))
      .map(([a, b, c, d, pad]) => `${pad}${a}.${b}.${c}.${d}`),
  );
  fc.assert(
    fc.property(text, (t) => {
      const n = ipv4Number(t);
      if (!STRICT.test(t)) return n === null;
      return n === t.split('.').reduce((acc, p) => acc * 256 + Number(p), 0);
    }),
    { numRuns: 20_000 },
  );
  assert.equal(ipv4Number('255.255.255.255'), 0xffffffff);
  assert.equal(ipv4Number('01.2.3.4'), null);
});

/** Target, port and -iL parsing: strict, exact scope, errors name the file and line. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseAddress, formatAddress } from '../src/targets/address.js';
import { compactEntries } from '../src/targets/compact.js';
import { InputFileError, LineParser, detectFormat, parseInputText } from '../src/targets/inputFile.js';
import { parsePorts, PortSyntaxError } from '../src/targets/ports.js';
import { contains, expand, parseTarget, specSize, TargetSyntaxError } from '../src/targets/spec.js';

const all = (t: string) => [...expand(parseTarget(t))];

test('addresses: strict IPv4, IPv6, mapped IPv4 unwrapped', () => {
  assert.equal(parseAddress('127.1'), null);
  assert.equal(parseAddress('0x7f.0.0.1'), null);
  assert.equal(parseAddress('256.0.0.1'), null);
  assert.equal(parseAddress('01.2.3.4'), null);
  assert.deepEqual(parseAddress('::ffff:192.0.2.7'), { family: 4, value: 0xc0000207n });
  const v6 = parseAddress('2001:db8::1');
  assert.ok(v6 !== null && v6.family === 6);
  assert.equal(formatAddress(v6), '2001:db8::1');
  assert.equal(formatAddress({ family: 6, value: 1n }), '::1');
});

test('CIDR, ranges and single addresses expand exactly', () => {
  assert.deepEqual(all('192.0.2.4/30'), ['192.0.2.4', '192.0.2.5', '192.0.2.6', '192.0.2.7']);
  assert.deepEqual(all('192.0.2.6/30'), ['192.0.2.4', '192.0.2.5', '192.0.2.6', '192.0.2.7']);
  assert.deepEqual(all('192.0.2.1-3'), ['192.0.2.1', '192.0.2.2', '192.0.2.3']);
  assert.deepEqual(all('192.0.2.254-192.0.3.1'), ['192.0.2.254', '192.0.2.255', '192.0.3.0', '192.0.3.1']);
  assert.deepEqual(all('2001:db8::fe-2001:db8::101'), [
    '2001:db8::fe',
    '2001:db8::ff',
    '2001:db8::100',
    '2001:db8::101',
  ]);
  assert.equal(specSize(parseTarget('240.0.0.0/8')), 16777216n);
  assert.equal(specSize(parseTarget('2001:db8::/64')), 1n << 64n);
  assert.deepEqual(all('Example.org.'), ['example.org']);
});

test('malformed targets are errors, never hostnames', () => {
  for (const bad of [
    '192.0.2.0/33',
    '192.0.2.1/x',
    '999.1.1.1',
    '192.0.2.9-3',
    '192.0.2.1-2001:db8::1',
    '127.1',
    'a..b',
    '-host',
    '1.2.3',
    'fe80:::1',
    '',
  ]) {
    assert.throws(() => parseTarget(bad), TargetSyntaxError, bad);
  }
});

test('exclusion membership', () => {
  assert.ok(contains(parseTarget('192.0.2.0/24'), '192.0.2.77'));
  assert.ok(!contains(parseTarget('192.0.2.0/24'), '192.0.3.1'));
  assert.ok(contains(parseTarget('192.0.2.7'), '::ffff:192.0.2.7'));
});

test('ports: lists, ranges, errors', () => {
  assert.deepEqual(parsePorts('104,4242,8000-8002'), [104, 4242, 8000, 8001, 8002]);
  for (const bad of ['0', '65536', '10-5', '1,,2', 'http', ''])
    assert.throws(() => parsePorts(bad), PortSyntaxError, bad);
});

test('-iL plain list with comments; a bad line names file and line', () => {
  const e = parseInputText('t.txt', '# hosts\n192.0.2.1\n\n192.0.2.8/31 # two\n');
  assert.deepEqual(
    e.map((x) => x.spec.text),
    ['192.0.2.1', '192.0.2.8/31'],
  );
  assert.throws(
    () => parseInputText('t.txt', '192.0.2.1\n192.0.2.300\n'),
    (err: unknown) => err instanceof InputFileError && err.message === 't.txt:2: "192.0.2.300": not a valid IP address',
  );
});

test('-iL nmap -oX keeps open ports, skips down hosts', () => {
  const xml = `<?xml version="1.0"?>
<nmaprun scanner="nmap">
<host><status state="up"/><address addr="192.0.2.5" addrtype="ipv4"/><ports>
<port protocol="tcp" portid="104"><state state="open" reason="syn-ack"/></port>
<port protocol="tcp" portid="80"><state state="closed" reason="rst"/></port>
<port protocol="tcp" portid="4242"><state state="open" reason="syn-ack"/></port></ports></host>
<host><status state="down"/><address addr="192.0.2.6" addrtype="ipv4"/></host>
</nmaprun>`;
  assert.equal(detectFormat(xml), 'nmap-xml');
  assert.deepEqual(
    parseInputText('n.xml', xml).map((x) => [x.spec.text, x.ports]),
    [['192.0.2.5', [104, 4242]]],
  );
});

test('-iL nmap -oX streams a host element at a time; hints, cut-short and oversized elements', () => {
  const p = new LineParser('-');
  assert.deepEqual(p.push('<?xml version="1.0"?>'), []);
  assert.deepEqual(p.push('<nmaprun scanner="nmap">'), []);
  assert.deepEqual(p.push('<hosthint><status state="up"/><address addr="192.0.2.7" addrtype="ipv4"/></hosthint>'), []);
  assert.deepEqual(p.push('<host starttime="1"><status state="up"/>'), []);
  assert.deepEqual(
    p.push(
      '<address addr="192.0.2.7" addrtype="ipv4"/><ports><port protocol="tcp" portid="104"><state state="open"/></port></ports>',
    ),
    [],
  );
  assert.deepEqual(
    p.push('</host>').map((x) => [x.spec.text, x.ports]),
    [['192.0.2.7', [104]]],
    'the host is out before the input ends',
  );
  const two = p.push(
    '<host><address addr="192.0.2.8" addrtype="ipv4"/><ports><port protocol="tcp" portid="11112"><state state="open"/></port></ports></host><host><address addr="2001:db8::9" addrtype="ipv6"/></host><host><status state="up"/>',
  );
  assert.deepEqual(
    two.map((x) => [x.spec.text, x.ports]),
    [
      ['192.0.2.8', [11112]],
      ['2001:db8::9', null],
    ],
  );
  assert.deepEqual(p.end(), [], 'an element cut short is dropped');
  const big = new LineParser('big.xml');
  big.push('<nmaprun scanner="nmap">');
  big.push('<host><status state="up"/>');
  assert.throws(
    () => {
      for (let i = 0; i < 20000; i++) big.push('<!-- padding padding padding padding padding padding padding -->');
    },
    (e: unknown) => e instanceof InputFileError && e.message === 'big.xml:2: nmap host element over 1 MiB',
  );
});

test('-iL masscan -oJ and -oL', () => {
  const json = `[
{   "ip": "192.0.2.9",   "timestamp": "1600000000", "ports": [ {"port": 104, "proto": "tcp", "status": "open", "reason": "syn-ack", "ttl": 64} ] },
{   "ip": "192.0.2.9",   "timestamp": "1600000001", "ports": [ {"port": 11112, "proto": "tcp", "status": "open", "reason": "syn-ack", "ttl": 64} ] }
]`;
  assert.equal(detectFormat(json), 'masscan-json');
  assert.deepEqual(
    parseInputText('m.json', json).map((x) => [x.spec.text, x.ports]),
    [['192.0.2.9', [104, 11112]]],
  );
  const list = '#masscan\nopen tcp 104 192.0.2.10 1600000000\nopen tcp 4242 192.0.2.11 1600000000\n# end\n';
  assert.equal(detectFormat(list), 'masscan-list');
  assert.deepEqual(
    parseInputText('m.txt', list).map((x) => [x.spec.text, x.ports]),
    [
      ['192.0.2.10', [104]],
      ['192.0.2.11', [4242]],
    ],
  );
});

test('-iL zmap CSV with and without a port column', () => {
  const csv = 'saddr,sport,classification\n192.0.2.20,104,synack\n192.0.2.21,104,synack\n';
  assert.equal(detectFormat(csv), 'zmap-csv');
  assert.deepEqual(
    parseInputText('z.csv', csv).map((x) => [x.spec.text, x.ports]),
    [
      ['192.0.2.20', [104]],
      ['192.0.2.21', [104]],
    ],
  );
  assert.deepEqual(
    parseInputText('z.csv', 'saddr\n192.0.2.22\n').map((x) => [x.spec.text, x.ports]),
    [['192.0.2.22', null]],
  );
  assert.throws(
    () => parseInputText('z.csv', 'saddr,sport\n192.0.2.23,99999\n'),
    /z\.csv:2: "99999" is not a port number/,
  );
});

test('addresses: format ∘ parse is the identity (IPv4 and IPv6, fast-check)', async () => {
  const fc = (await import('fast-check')).default;
  fc.assert(
    fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (ip) => {
      const a = parseAddress(ip);
      assert.ok(a !== null, ip);
      const again = parseAddress(formatAddress(a));
      assert.deepEqual(again, a);
    }),
    { numRuns: 2000 },
  );
});

test('-iL lists are compacted as read: adjacent addresses one range, each host once, ports united', () => {
  const lines: string[] = [];
  for (let i = 0; i < 70000; i++) lines.push(`127.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`); // more than one merge round
  lines.push('127.0.0.5', '192.0.2.1', '192.0.2.1', '192.0.2.3/32', 'example.test', 'example.test');
  const e = parseInputText('big.txt', `${lines.reverse().join('\n')}\n`);
  assert.deepEqual(
    e.map((x) => [x.spec.text, x.ports]),
    [
      ['127.0.0.0-127.1.17.111', null],
      ['192.0.2.1', null],
      ['192.0.2.3', null],
      ['example.test', null],
    ],
  );
  // masscan: a host's ports united
  const m = parseInputText(
    'm.txt',
    '#masscan\nopen tcp 104 192.0.2.9 1\nopen tcp 4242 192.0.2.9 2\nopen tcp 104 192.0.2.9 3\n',
  );
  assert.deepEqual(
    m.map((x) => [x.spec.text, x.ports]),
    [['192.0.2.9', [104, 4242]]],
  );
  // zmap rows with and without a port: a host also listed plainly is swept (with --ports) once, not twice
  const z = parseInputText('z.csv', 'saddr,sport\n192.0.2.5,\n192.0.2.5,104\n192.0.2.6,104\n');
  assert.deepEqual(
    z.map((x) => [x.spec.text, x.ports]),
    [
      ['192.0.2.5', null],
      ['192.0.2.6', [104]],
    ],
  );
});

test('-iL compaction: any mix of IPv4 and IPv6 blocks becomes exactly their union, sorted, disjoint, gaps between', () => {
  const block = fc.tuple(
    fc.constantFrom<4 | 6>(4, 6),
    fc.integer({ min: 0, max: 5000 }),
    fc.integer({ min: 0, max: 40 }),
  );
  fc.assert(
    fc.property(fc.array(block, { maxLength: 300 }), (blocks) => {
      const text = (f: 4 | 6, v: number) => (f === 4 ? `127.0.${v >> 8}.${v & 255}` : `2001:db8::${v.toString(16)}`);
      const entries = blocks.map(([f, a, n]) => ({
        spec: parseTarget(`${text(f, a)}-${text(f, a + n)}`),
        ports: null,
      }));
      const want = new Set(blocks.flatMap(([f, a, n]) => Array.from({ length: n + 1 }, (_, i) => `${f}:${a + i}`)));
      const got = compactEntries(entries).map((e) => e.spec);
      const seen: string[] = [];
      got.forEach((s, i) => {
        assert.ok(s.kind === 'block');
        const prev = got[i - 1];
        if (prev?.kind === 'block' && prev.family === s.family)
          assert.ok(prev.last + 1n < s.first, 'sorted, disjoint, not adjacent');
        assert.deepEqual(parseTarget(s.text), s, 'its text says the same');
        const base = s.family === 4 ? parseTarget('127.0.0.0') : parseTarget('2001:db8::');
        assert.ok(base.kind === 'block');
        for (let v = s.first; v <= s.last; v++) seen.push(`${s.family}:${v - base.first}`);
      });
      assert.deepEqual(seen.sort(), [...want].sort());
    }),
    { numRuns: 300 },
  );
});

test('-iL compaction at size: 100,000 scattered addresses stay 100,000; their 100,000 neighbours make them one range', () => {
  const at = (v: number) => `127.${v >> 16}.${(v >> 8) & 255}.${v & 255}`;
  const evens = Array.from({ length: 100000 }, (_, i) => ({
    spec: parseTarget(at(((i * 7919) % 100000) * 2)),
    ports: null,
  }));
  assert.equal(compactEntries(evens).length, 100000);
  const odds = Array.from({ length: 100000 }, (_, i) => ({
    spec: parseTarget(at(((i * 7919) % 100000) * 2 + 1)),
    ports: null,
  }));
  assert.deepEqual(
    compactEntries([...evens, ...odds]).map((e) => e.spec.text),
    ['127.0.0.0-127.3.13.63'],
  );
});

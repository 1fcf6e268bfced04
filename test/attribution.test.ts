/**
 * Attribution without a network outside loopback: the ASN CSV parser (errors name file and line),
 * the built-in data on a few public addresses (lookup only), scope precedence of contacts (one
 * parser for --contacts and the older `letters --owners` lines), RDAP answers as registries shape
 * them (nested, cidr0, redacted, placeholder) from a real loopback RDAP server, its pace, and the
 * options' input errors.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  AsnDataError,
  builtInAsRanges,
  builtInLoaded,
  builtInTable,
  parseAsnCsv,
  rangeText,
} from '../src/attribution/asnData.js';
import { Attributor } from '../src/attribution/attribute.js';
import { ContactsFileError, contactFor, parseContacts } from '../src/attribution/contacts.js';
import { RdapClient, registryFor } from '../src/attribution/rdap.js';
import { isPlaceholder, parseRdapNetwork } from '../src/attribution/rdapAnswer.js';
import { parseAddress, type Address } from '../src/targets/address.js';
import { createLogger } from '../src/util/log.js';
import { runCli } from './harness/cli.js';
import { serviceRecord } from './harness/records.js';
import { type RdapServer, startRdap } from './harness/rdap.js';

const addr = (s: string): Address => {
  const a = parseAddress(s);
  if (a === null) throw new Error(s);
  return a;
};
const quiet = createLogger('error', () => undefined);

describe('--asn-data: the CSV of @ip-location-db/asn', () => {
  const CSV = [
    'first,last,asn,organisation',
    '# a hospital maps its own ranges',
    '10.0.0.0,10.255.255.255,64500,"Hospital, Inc."',
    '10.20.0.0,10.20.255.255,AS64501,"Radiology ""East"""',
    '172.16.0.0/12,,64502,',
    'fd00::,fd00::ffff,64503,ULA site',
  ].join('\n');

  test('rows of both families, ranges or a CIDR, quoted names; the most specific nested range wins', () => {
    const t = parseAsnCsv('mine.csv', CSV);
    assert.equal(t.size, 4);
    assert.deepEqual(t.lookup(addr('10.1.2.3')), { asn: 64500, asName: 'Hospital, Inc.', prefix: '10.0.0.0/8' });
    assert.deepEqual(t.lookup(addr('10.20.9.9')), { asn: 64501, asName: 'Radiology "East"', prefix: '10.20.0.0/16' });
    assert.deepEqual(t.lookup(addr('10.21.0.0')), { asn: 64500, asName: 'Hospital, Inc.', prefix: '10.0.0.0/8' });
    assert.deepEqual(t.lookup(addr('172.20.0.1')), { asn: 64502, asName: null, prefix: '172.16.0.0/12' });
    assert.deepEqual(t.lookup(addr('fd00::42')), { asn: 64503, asName: 'ULA site', prefix: 'fd00::/112' });
    assert.equal(t.lookup(addr('11.0.0.1')), null);
    assert.equal(t.lookup(addr('fd01::1')), null);
  });

  test('a range that is no CIDR is written first-last', () => {
    assert.equal(rangeText(4, addr('192.0.2.1').value, addr('192.0.2.40').value), '192.0.2.1-192.0.2.40');
  });

  for (const [why, line, message] of [
    ['too few fields', '10.0.0.0,10.0.0.255,64500', /mine\.csv:3: expected "first,last,asn,organisation"/],
    ['a bad address', '10.0.0.300,10.0.1.0,64500,X', /mine\.csv:3: "10\.0\.0\.300" is not an address/],
    ['a bad AS number', '10.0.0.0,10.0.0.255,AS-X,X', /mine\.csv:3: "AS-X" is not an AS number/],
    ['an AS number too large', '10.0.0.0,10.0.0.255,4294967296,X', /mine\.csv:3: "4294967296" is not an AS number/],
    ['first after last', '10.0.1.0,10.0.0.0,64500,X', /mine\.csv:3: "10\.0\.1\.0" is after "10\.0\.0\.0"/],
    ['families mixed', '10.0.0.0,fd00::1,64500,X', /mine\.csv:3: .* different families/],
    ['an unclosed quote', '10.0.0.0,10.0.0.255,64500,"X', /mine\.csv:3: expected/],
  ] as const)
    test(`${why}: an input error naming file and line`, () => {
      assert.throws(
        () => parseAsnCsv('mine.csv', `first,last,asn,organisation\n# ok\n${line}\n`),
        (e: unknown) => e instanceof AsnDataError && message.test(e.message),
      );
    });
});

describe('the built-in ASN data (offline: lookups only, no traffic)', () => {
  test('private and loopback addresses never load it', async () => {
    const a = new Attributor(undefined, { log: quiet, cache: null, timeoutMs: 1000 });
    for (const h of ['127.0.0.1', '10.1.2.3', '192.168.1.1', '::1', 'fd00::1', '2001:db8::1']) {
      const n = await a.network(h);
      assert.deepEqual(n, { asn: null, asName: null, prefix: null, cc: null, abuse: [], abuseSource: null }, h);
    }
    assert.deepEqual(builtInLoaded(), []);
  });

  test('public IPv4 and IPv6 addresses: their AS, name and prefix; the country offline', async () => {
    const a = new Attributor(undefined, { log: quiet, cache: null, timeoutMs: 1000 });
    const one = await a.network('1.1.1.1');
    assert.equal(one.asn, 13335);
    assert.match(one.asName ?? '', /Cloudflare/);
    assert.equal(one.prefix, '1.1.1.0/24');
    assert.equal(one.abuseSource, null);
    assert.equal((await a.network('8.8.8.8')).asn, 15169);
    assert.equal((await a.network('193.0.6.139')).asn, 3333);
    assert.match((await a.network('193.0.6.139')).cc ?? '', /^[A-Z]{2}$/);
    assert.equal((await a.network('2001:4860:4860::8888')).asn, 15169);
    assert.deepEqual(builtInLoaded(), [4, 6]);
    const v4 = await builtInTable(4);
    assert.ok((v4?.size ?? 0) > 100_000, 'the whole IPv4 table');
  });

  test('an AS opt-out covers the ranges the built-in data gives that AS, in both families', async () => {
    const ranges = await builtInAsRanges([15169, 4294967295]);
    const google = ranges(15169);
    const covers = (host: string) => {
      const a = addr(host);
      return google.some((r) => r.family === a.family && r.first <= a.value && a.value <= r.last);
    };
    assert.ok(covers('8.8.8.8') && covers('2001:4860:4860::8888'));
    assert.ok(!covers('1.1.1.1'));
    assert.deepEqual(ranges(4294967295), [], 'an AS the data does not know covers nothing');
  });

  test("the user's data is asked first, also for public addresses", async () => {
    const a = new Attributor(
      { asnData: { file: 'x.csv', text: '1.1.1.0,1.1.1.255,64999,Mine\n' } },
      { log: quiet, cache: null, timeoutMs: 1000 },
    );
    assert.equal((await a.network('1.1.1.1')).asn, 64999);
    assert.equal((await a.network('1.0.0.1')).asn, 13335);
    // records of several hosts (a report attributing stored records): each gets its own host's network
    const recs = [serviceRecord('1.1.1.1', 104), serviceRecord('1.0.0.1', 104), serviceRecord('1.1.1.1', 4242)];
    assert.deepEqual(
      (await a.attribute(recs)).map((r) => `${r.host}:${r.port} AS${r.network?.asn}`),
      ['1.1.1.1:104 AS64999', '1.0.0.1:104 AS13335', '1.1.1.1:4242 AS64999'],
    );
  });
});

describe('--contacts: scopes, the most specific wins', () => {
  const FILE = [
    '# scope  e-mail[,e-mail]  name',
    'AS64500            noc@as.test                   The AS',
    '10.0.0.0/8         it@big.test,dpo@big.test      Big Hospital',
    '10.20.0.0-10.20.3.255  rad@range.test',
    '10.20.1.7          pacs@one.test  The PACS   # one address',
    '10.30.0.0/16, Imaging Centre, dpo@old.test',
  ].join('\n');
  const contacts = parseContacts('c.txt', FILE);

  test('address over range over CIDR over AS; AS when no block covers; none when nothing does', () => {
    const who = (h: string, asn: number | null) => contactFor(contacts, h, asn)?.emails;
    assert.deepEqual(who('10.20.1.7', 64500), ['pacs@one.test']);
    assert.deepEqual(who('10.20.1.8', 64500), ['rad@range.test']);
    assert.deepEqual(who('10.21.0.1', 64500), ['it@big.test', 'dpo@big.test']);
    assert.deepEqual(who('192.0.2.1', 64500), ['noc@as.test']);
    assert.equal(who('192.0.2.1', 64501), undefined);
    assert.equal(contactFor(contacts, '10.20.1.7', null)?.name, 'The PACS');
    assert.equal(contactFor(contacts, '10.20.1.8', null)?.name, null);
  });

  test('the older owners lines (CIDR, organisation, contact) are read by the same parser', () => {
    const c = contactFor(contacts, '10.30.1.1', null);
    assert.deepEqual(c?.emails, ['dpo@old.test']);
    assert.equal(c?.name, 'Imaging Centre');
    const noContact = parseContacts('o.txt', '127.0.77.0/28, Example Imaging Centre\n');
    assert.deepEqual(noContact[0]?.emails, []);
  });

  for (const [why, line, message] of [
    ['a bad scope', '10.0.0.0/33 a@b.test', /c\.txt:2: .*prefix length/],
    ['no e-mail', '10.0.0.0/8', /c\.txt:2: no e-mail address after "10\.0\.0\.0\/8"/],
    ['a bad e-mail', '10.0.0.0/8 a@b.test,nobody Name', /c\.txt:2: "nobody" is not an e-mail address/],
    ['a name as scope', 'pacs.example.org a@b.test', /c\.txt:2: .*a scope is an address, CIDR, range or AS number/],
    ['an old line without organisation', '10.0.0.0/8, , a@b.test', /c\.txt:2: expected/],
  ] as const)
    test(`${why}: an input error naming file and line`, () => {
      assert.throws(
        () => parseContacts('c.txt', `# first\n${line}\n`),
        (e: unknown) => e instanceof ContactsFileError && message.test(e.message),
      );
    });
});

describe('RDAP answers as the registries shape them', () => {
  let rdap: RdapServer;
  before(async () => {
    rdap = await startRdap([
      {
        first: '127.0.80.0',
        last: '127.0.80.255',
        handle: 'NET-ARIN-1',
        shape: 'arin',
        abuse: 'Abuse@Hospital-A.test',
      },
      {
        first: '127.0.81.0',
        last: '127.0.81.255',
        handle: 'NET-RIPE-1',
        shape: 'ripe',
        abuse: 'abuse@hospital-b.test',
        cidr: { prefix: '127.0.81.0', length: 24 },
      },
      {
        first: '127.0.82.0',
        last: '127.0.82.127',
        handle: 'NET-C0-1',
        shape: 'cidr0',
        abuse: 'abuse@hospital-c.test',
        cidr: { prefix: '127.0.82.0', length: 25 },
      },
      { first: '127.0.83.0', last: '127.0.83.255', handle: 'NET-RED-1', shape: 'redacted', abuse: '' },
      { first: '127.0.84.0', last: '127.0.84.255', handle: 'NET-PH-1', shape: 'placeholder', abuse: '' },
      {
        first: 'fd00:77::',
        last: 'fd00:77::ffff',
        handle: 'NET6-1',
        shape: 'ripe',
        abuse: 'v6@hospital-d.test',
        cidr: { prefix: 'fd00:77::', length: 112 },
      },
    ]);
  });
  after(() => rdap.stop());
  const client = () => new RdapClient({ baseUrl: rdap.url, rate: 100, timeoutMs: 2000 });

  test("nested under the registrant (ARIN), beside it (RIPE), cidr0 only, IPv6: the abuse role's e-mail and the range", async () => {
    const c = client();
    const arin = await c.lookup(addr('127.0.80.9'));
    assert.ok(arin.ok);
    assert.deepEqual(arin.network.abuse, ['abuse@hospital-a.test']);
    assert.equal(arin.network.first, addr('127.0.80.0').value);
    assert.equal(arin.network.last, addr('127.0.80.255').value);
    const ripe = await c.lookup(addr('127.0.81.1'));
    assert.ok(ripe.ok);
    assert.deepEqual(ripe.network.abuse, ['abuse@hospital-b.test'], "not the organisation's own address");
    const c0 = await c.lookup(addr('127.0.82.100'));
    assert.ok(c0.ok);
    assert.deepEqual(c0.network.abuse, ['abuse@hospital-c.test']);
    assert.equal(c0.network.last, addr('127.0.82.127').value);
    const six = await c.lookup(addr('fd00:77::5'));
    assert.ok(six.ok);
    assert.deepEqual(six.network.abuse, ['v6@hospital-d.test']);
    assert.deepEqual(rdap.paths.slice(-4), [
      '/rdap/ip/127.0.80.9',
      '/rdap/ip/127.0.81.1',
      '/rdap/ip/127.0.82.100',
      '/rdap/ip/fd00:77::5',
    ]);
    await c.close();
  });

  test('redacted (RFC 9537) and placeholder addresses are rejected, with the reason', async () => {
    const c = client();
    const red = await c.lookup(addr('127.0.83.1'));
    assert.ok(red.ok);
    assert.deepEqual(red.network.abuse, []);
    assert.match(red.network.why ?? '', /redacted/);
    const ph = await c.lookup(addr('127.0.84.1'));
    assert.ok(ph.ok);
    assert.deepEqual(ph.network.abuse, []);
    assert.match(ph.network.why ?? '', /placeholder/);
    for (const p of ['unread@ripe.net', 'abuse@example.com', 'REDACTED FOR PRIVACY', 'noreply@x.test', 'a b@c.test'])
      assert.ok(isPlaceholder(p), p);
    assert.ok(!isPlaceholder('abuse@hospital.test'));
    await c.close();
  });

  test('no network, not JSON, not an ip network: a reason, never an exception', async () => {
    const c = client();
    const none = await c.lookup(addr('127.0.99.1'));
    assert.deepEqual(none, { ok: false, reason: `HTTP 404 from ${new URL(rdap.url).host}` });
    assert.deepEqual(parseRdapNetwork('<html>'), { ok: false, reason: 'answer is not JSON' });
    assert.deepEqual(parseRdapNetwork('{"objectClassName":"domain"}'), {
      ok: false,
      reason: 'answer is not an ip network',
    });
    const refused = await new RdapClient({ baseUrl: 'http://127.0.0.1:1/', rate: 100, timeoutMs: 500 }).lookup(
      addr('127.0.80.1'),
    );
    assert.equal(refused.ok, false);
    await c.close();
  });

  test('at most --rdap-rate queries per second', async () => {
    const c = new RdapClient({ baseUrl: rdap.url, rate: 5, timeoutMs: 2000 });
    const t = performance.now();
    await Promise.all(['127.0.80.1', '127.0.80.2', '127.0.80.3', '127.0.80.4'].map((h) => c.lookup(addr(h))));
    assert.ok(performance.now() - t >= 550, 'four queries at 5/s take at least 0.6 s');
    assert.equal(c.queries, 4);
    await c.close();
  });

  test('contacts win over RDAP; one query per network per run, however many hosts', async () => {
    const before = rdap.paths.length;
    const a = new Attributor(
      {
        asnData: { file: 'a.csv', text: '127.0.80.0,127.0.81.255,64510,Test Net\n' },
        contacts: { file: 'c.txt', text: '127.0.80.0/24 pacs@mine.test Mine\n' },
        rdap: { url: rdap.url, ttlS: 3600, rate: 100 },
      },
      { log: quiet, cache: null, timeoutMs: 2000 },
    );
    const hosts = ['127.0.80.1', '127.0.81.1', '127.0.81.2', '127.0.81.3'];
    const nets = await Promise.all(hosts.map((h) => a.network(h)));
    assert.deepEqual(nets[0], {
      asn: 64510,
      asName: 'Test Net',
      prefix: '127.0.80.0/23',
      cc: null,
      abuse: ['pacs@mine.test'],
      abuseSource: 'contacts',
    });
    for (const n of nets.slice(1)) assert.deepEqual([n.abuse, n.abuseSource], [['abuse@hospital-b.test'], 'rdap']);
    assert.equal(rdap.paths.length - before, 1);
    assert.equal(a.rdapQueries, 1);
    await a.close();
  });

  test('two hosts of one network asked at once without ASN data: the second waits its turn and asks nothing', async () => {
    const a = new Attributor(
      { rdap: { url: rdap.url, ttlS: 3600, rate: 5 } },
      { log: quiet, cache: null, timeoutMs: 2000 },
    );
    const nets = await Promise.all(['127.0.81.5', '127.0.81.6', '127.0.81.7'].map((h) => a.network(h)));
    for (const n of nets) assert.deepEqual([n.asn, n.abuse, n.abuseSource], [null, ['abuse@hospital-b.test'], 'rdap']);
    assert.equal(a.rdapQueries, 1);
    await a.close();
  });

  test('the IANA bootstrap as shipped names each RIR', () => {
    assert.equal(registryFor(addr('8.8.8.8')), 'https://rdap.arin.net/registry/');
    assert.equal(registryFor(addr('193.0.6.139')), 'https://rdap.db.ripe.net/');
    assert.equal(registryFor(addr('1.1.1.1')), 'https://rdap.apnic.net/');
    assert.equal(registryFor(addr('2a00:1450::1')), 'https://rdap.db.ripe.net/');
    assert.equal(registryFor(addr('127.0.0.1')), null);
  });
});

describe('the options: input errors before any probe', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'opendoor-attrib-'));
  const bad = path.join(dir, 'bad.csv');
  writeFileSync(bad, '127.0.77.0,127.0.77.255,64500,A\n127.0.77.300,127.0.78.0,64501,B\n');
  const badContacts = path.join(dir, 'contacts.txt');
  writeFileSync(badContacts, '# ok\n127.0.77.0/24 not-an-address\n');
  for (const [why, args, message] of [
    [
      'a malformed --asn-data line',
      ['--asn-data', bad],
      /^opendoor: .*bad\.csv:2: "127\.0\.77\.300" is not an address\n$/,
    ],
    [
      'a malformed --contacts line',
      ['--contacts', badContacts],
      /^opendoor: .*contacts\.txt:2: "not-an-address" is not an e-mail address\n$/,
    ],
    [
      'an unreadable --contacts file',
      ['--contacts', path.join(dir, 'none')],
      /^opendoor: cannot read contacts file .*: ENOENT\n$/,
    ],
    ['a bad --rdap-url', ['--rdap-url', 'ftp://x'], /--rdap-url must be an http:\/\/ or https:\/\/ URL/],
    ['a bad --rdap-rate', ['--rdap', '--rdap-rate', '0'], /--rdap-rate must be a whole number from 1 to 100/],
    ['a bad --rdap-ttl', ['--rdap', '--rdap-ttl', '7 weeks'], /--rdap-ttl must be a duration/],
  ] as const)
    test(`${why}: exit 2, one line`, async () => {
      const r = await runCli(['scan', '127.0.0.1', '-p', '1', '--db', path.join(dir, 'x.db'), ...args]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, message);
    });
  test('serve checks the options of the scans it will start before it listens', async () => {
    const r = await runCli([
      'serve',
      '--db',
      path.join(dir, 'y.db'),
      '--listen',
      '127.0.0.1:1',
      '--contacts',
      badContacts,
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^opendoor: .*contacts\.txt:2: "not-an-address" is not an e-mail address\n$/);
  });
});

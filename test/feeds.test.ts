/**
 * The CERT feeds from stored records (no network): IntelMQ events valid under IntelMQ's
 * harmonization, Shadowserver-layout CSV, STIX 2.1 bundles valid under the OASIS schemas; networks
 * filled (IPv4, IPv6, abuse contacts) or absent; honeypots left out unless asked; byte-equal twice.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ServiceRecord } from '../src/output/records.js';
import { reportFormat, REPORT_FORMATS } from '../src/report/formats.js';
import { buildModel, type ReportModel } from '../src/report/model.js';
import { OPENDOOR_NAMESPACE, uuidv5 } from '../src/report/stix.js';
import { SHADOWSERVER_COLUMNS } from '../src/report/shadowserver.js';
import { openStore } from '../src/store/open.js';
import { runCli } from './harness/cli.js';
import { csvObjects, errorsOf, intelmqValidator, parseCsv, stixErrors } from './harness/feeds.js';
import { removeDir, tempDir } from './harness/procs.js';
import { dicomRecord as dicom, exposure, finding, networkRecord as net, serviceRecord } from './harness/records.js';

/** Every case a feed meets: networks of both families, none, half-known; honeypot; nothing to report; hostile strings. */
const RECORDS: ServiceRecord[] = [
  serviceRecord('192.0.2.7', 4242, {
    product: 'Orthanc',
    version: '1.10.1',
    dicom: dicom(),
    exposure: exposure(23, { phi: ['PatientName', 'PatientID', 'PatientBirthDate'] }),
    findings: [finding('dicom-open-query'), finding('dicom-no-tls', 'medium'), finding('tls-self-signed', 'low')],
    network: net({
      asn: 64500,
      asName: 'Example Health Net',
      prefix: '192.0.2.0/24',
      cc: 'de',
      abuse: ['Abuse@Example.org', 'cert@example.org', 'abuse@example.org'],
      abuseSource: 'contacts',
    }),
  }),
  serviceRecord('2001:db8::7', 443, {
    protocol: 'http',
    transport: 'tls',
    product: 'Orthanc',
    http: {
      status: 200,
      server: null,
      auth: 'none',
      api: 'orthanc',
      dicomweb: null,
      title: null,
      retrieve: true,
      retrieveVia: 'orthanc-rest',
      aeTitles: [],
      aeTitlesFrom: null,
    },
    tls: {
      version: 'TLSv1.3',
      subject: 'CN=pacs',
      issuer: 'CN=pacs',
      selfSigned: true,
      notAfter: null,
      clientCertRequired: false,
    },
    exposure: exposure(5, { model: 'orthanc-rest' }),
    findings: [finding('http-open-api'), finding('http-retrievable')],
    network: net({
      asn: 64501,
      asName: 'Example Six',
      prefix: '2001:db8::/32',
      cc: 'NL',
      abuse: ['abuse@example.net'],
      abuseSource: 'rdap',
    }),
  }),
  // no network at all (records from before attribution), a medium finding only: vulnerable, no data read
  serviceRecord('198.51.100.3', 104, {
    dicom: dicom({ calledAe: null, anyCallingAe: null, find: null, implementationClassUid: null, toolkit: null }),
    findings: [finding('tls-legacy-version', 'medium')],
  }),
  // low and info only: in no feed
  serviceRecord('198.51.100.4', 104, {
    findings: [finding('tls-self-signed', 'low'), finding('dicom-restricted', 'info')],
  }),
  // a suspected honeypot's bait
  serviceRecord('203.0.113.9', 104, {
    dicom: dicom({ implementationClassUid: null, toolkit: null }),
    honeypot: { suspect: true, reasons: ['no-implementation-uid'] },
    exposure: exposure(1),
    findings: [finding('dicom-open-query'), finding('honeypot-suspected', 'info')],
  }),
  // what a server controls, made to attack a spreadsheet; a range where a prefix goes; AS 0, a bad country
  serviceRecord('203.0.113.20', 11112, {
    product: '=HYPERLINK("http://x.example/","click")',
    version: '-1+2',
    dicom: dicom({ calledAe: '@SUM(A1)', implementationVersionName: '+cmd|x', anyCalledAe: true }),
    findings: [finding('dicom-any-called-ae', 'medium')],
    network: net({ asn: 0, prefix: '203.0.113.0-203.0.113.255', cc: 'EU1', abuse: [] }),
  }),
];

describe('feeds', () => {
  const dir = tempDir('feeds');
  const db = path.join(dir, 'feeds.db');
  let m: ReportModel;
  const render = (name: string, includeHoneypots = false) => {
    const f = reportFormat(name);
    assert.ok(f !== undefined, name);
    return f.render(m, { includeHoneypots });
  };

  before(async () => {
    const store = await openStore(db);
    await store.beginScan('feed-scan-1', { targets: ['192.0.2.0/24'] });
    for (const r of RECORDS) await store.recordHost('feed-scan-1', [r], null);
    await store.finishScan('feed-scan-1', 'done', RECORDS.length, 1234);
    const built = await buildModel(store, 'feed-scan-1');
    await store.close();
    assert.ok(built !== null);
    m = built;
  });
  after(() => removeDir(dir));

  test('one table: every format a name, media type and extension; the feeds take --include-honeypots', () => {
    assert.deepEqual(
      REPORT_FORMATS.map((f) => f.name),
      ['html', 'md', 'csv', 'json', 'intelmq', 'shadowserver', 'stix'],
    );
    assert.deepEqual(
      REPORT_FORMATS.filter((f) => f.honeypotOption).map((f) => f.name),
      ['intelmq', 'shadowserver', 'stix'],
    );
    assert.equal(reportFormat('pdf'), undefined);
  });

  test('intelmq: one event a service at medium or above, valid under the harmonization, network facts where valid', () => {
    const events = render('intelmq')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const validate = intelmqValidator();
    for (const e of events) assert.ok(validate(e), errorsOf(validate));
    assert.deepEqual(
      events.map((e) => `${e['source.ip']}:${e['source.port']}`),
      ['192.0.2.7:4242', '198.51.100.3:104', '2001:db8::7:443', '203.0.113.20:11112'],
    );
    const [v4, plain, v6, hostile] = events;
    assert.deepEqual(
      {
        asn: v4?.['source.asn'],
        name: v4?.['source.as_name'],
        net: v4?.['source.network'],
        cc: v4?.['source.geolocation.cc'],
        abuse: v4?.['source.abuse_contact'],
        app: v4?.['protocol.application'],
        type: v4?.['classification.type'],
        id: v4?.['classification.identifier'],
        phi: v4?.['extra.phi_attributes'],
        uid: v4?.['extra.implementation_class_uid'],
        ae: v4?.['extra.accepted_ae'],
        findings: v4?.['extra.finding_ids'],
      },
      {
        asn: 64500,
        name: 'Example Health Net',
        net: '192.0.2.0/24',
        cc: 'DE',
        abuse: 'abuse@example.org,cert@example.org',
        app: 'dicom',
        type: 'information-disclosure',
        id: 'dicom-open-query',
        phi: ['PatientName', 'PatientID', 'PatientBirthDate'],
        uid: '1.2.276.0.7230010.3.0.3.6.7',
        ae: 'ORTHANC',
        findings: ['dicom-open-query', 'dicom-no-tls'],
      },
    );
    assert.equal(v4?.['extra.patients'], 23);
    assert.equal(v4?.['classification.taxonomy'], 'vulnerable');
    assert.equal(v4?.['feed.name'], 'opendoor');
    assert.match(String(v4?.['time.source']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    assert.deepEqual(
      [v6?.['source.network'], v6?.['source.asn'], v6?.['source.abuse_contact'], v6?.['protocol.application']],
      ['2001:db8::/32', 64501, 'abuse@example.net', 'https'],
    );
    assert.equal(v6?.['extra.tls_version'], 'TLSv1.3');
    // no network: those keys are left out, not empty
    assert.deepEqual(
      Object.keys(plain ?? {}).filter((k) => /^source\.(asn|as_name|network|geolocation|abuse)/.test(k)),
      [],
    );
    assert.equal(plain?.['classification.type'], 'vulnerable-system');
    assert.equal(plain?.['classification.identifier'], 'tls-legacy-version');
    // a range is no network, AS 0 no AS, "EU1" no country
    assert.deepEqual(
      ['source.network', 'source.asn', 'source.geolocation.cc'].map((k) => hostile?.[k]),
      [undefined, undefined, undefined],
    );
    for (const e of events)
      for (const k of Object.keys(e)) assert.match(k, /^[a-z_][a-z_0-9]+(\.[a-z_0-9]+)*$/, 'IntelMQ key format');
  });

  test('the harmonization schema refuses what IntelMQ refuses (the check above means something)', () => {
    const validate = intelmqValidator();
    const good = JSON.parse(render('intelmq').split('\n')[0] ?? '{}') as Record<string, unknown>;
    assert.ok(validate(good), errorsOf(validate));
    const bad: Array<Record<string, unknown>> = [
      { 'source.asn': 0 },
      { 'source.network': '192.0.2.1/24' },
      { 'source.ip': '0.0.0.0' },
      { 'source.abuse_contact': 'Abuse@Example.org' },
      { 'source.geolocation.cc': 'de' },
      { 'classification.type': 'vulnerable-service' },
      { 'classification.taxonomy': 'Vulnerable' },
      { 'time.source': '2026-12-06T11:00:00Z' },
      { 'extra.Bad-Key': 1 },
      { 'source.unknown': 'x' },
      { tlp: 'AMBER+STRICT' },
    ];
    for (const b of bad) assert.equal(validate({ ...good, ...b }), false, JSON.stringify(b));
  });

  test('shadowserver: its columns first, one row a service, no formula, empty where nothing is known', () => {
    const text = render('shadowserver');
    const [header] = parseCsv(text);
    assert.deepEqual(
      header?.slice(0, 12),
      'timestamp,ip,protocol,port,hostname,tag,asn,geo,region,city,naics,sic'.split(','),
    );
    assert.deepEqual(header?.slice(12, 17), [
      'device_vendor',
      'device_type',
      'device_model',
      'device_version',
      'severity',
    ]);
    assert.deepEqual(header, [...SHADOWSERVER_COLUMNS]);
    const rows = csvObjects(text);
    assert.deepEqual(
      rows.map((r) => `${r.ip}:${r.port}`),
      ['192.0.2.7:4242', '198.51.100.3:104', '2001:db8::7:443', '203.0.113.20:11112'],
    );
    const [v4, plain, , hostile] = rows;
    assert.match(v4?.timestamp ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.deepEqual(
      [
        v4?.protocol,
        v4?.asn,
        v4?.geo,
        v4?.severity,
        v4?.device_model,
        v4?.device_version,
        v4?.patients,
        v4?.phi_attributes,
      ],
      ['tcp', '64500', 'DE', 'critical', 'Orthanc', '1.10.1', '23', 'PatientName;PatientID;PatientBirthDate'],
    );
    assert.equal(v4?.tag, 'dicom-open-query;dicom-no-tls');
    assert.equal(v4?.ae_policy, 'known-called-ae;any-calling-ae');
    assert.deepEqual([plain?.asn, plain?.geo, plain?.hostname, plain?.device_model], ['', '', '', '']);
    assert.equal(plain?.ae_policy, 'refused');
    // what the server chose is kept, but no cell starts a formula
    assert.equal(hostile?.device_model, `'=HYPERLINK("http://x.example/","click")`);
    assert.equal(hostile?.device_version, "'-1+2");
    assert.equal(hostile?.accepted_ae, "'@SUM(A1)");
    assert.equal(hostile?.implementation_version_name, "'+cmd|x");
    for (const r of rows) for (const v of Object.values(r)) assert.doesNotMatch(v, /^[=+\-@]/);
    // the one cell function: the people's CSV report is guarded alike
    const report = csvObjects(render('csv')).find((r) => r.host === '203.0.113.20' && r.kind === 'service');
    assert.deepEqual(
      [report?.product, report?.version, report?.calledAe],
      [hostile?.device_model, "'-1+2", "'@SUM(A1)"],
    );
  });

  test('stix: one bundle valid under the OASIS schemas; address, traffic, software and a note per service', () => {
    const bundle = JSON.parse(render('stix')) as { type: string; id: string; objects: Array<Record<string, unknown>> };
    assert.deepEqual(stixErrors(bundle), []);
    const of = (t: string) => bundle.objects.filter((o) => o.type === t);
    assert.equal(of('identity').length, 1);
    assert.equal(of('observed-data').length, 4);
    assert.equal(of('note').length, 4);
    assert.deepEqual(
      of('ipv6-addr').map((o) => o.value),
      ['2001:db8::7'],
    );
    assert.deepEqual(
      of('ipv4-addr').map((o) => o.value),
      ['192.0.2.7', '198.51.100.3', '203.0.113.20'],
    );
    const byId = new Map(bundle.objects.map((o) => [o.id, o]));
    const v6 = of('observed-data').find((o) =>
      (o.object_refs as string[]).some((r) => byId.get(r)?.value === '2001:db8::7'),
    );
    const refs = ((v6?.object_refs ?? []) as string[]).map((r) => byId.get(r));
    assert.deepEqual(
      refs.map((o) => o?.type),
      ['ipv6-addr', 'network-traffic', 'software'],
    );
    assert.deepEqual(refs[1]?.protocols, ['ipv6', 'tcp', 'https']);
    assert.equal(refs[1]?.dst_port, 443);
    assert.equal(refs[2]?.name, 'Orthanc');
    assert.equal(v6?.number_observed, 1);
    for (const o of of('observed-data')) for (const r of o.object_refs as string[]) assert.ok(byId.has(r), r);
    for (const n of of('note'))
      for (const r of n.object_refs as string[]) assert.equal(byId.get(r)?.type, 'observed-data');
    // the same address in every scan is the same SCO (STIX 2.1 §2.9); reports of two scans differ in their SDOs only
    const ip = of('ipv4-addr')[0];
    assert.equal(ip?.id, `ipv4-addr--${uuidv5('00abedb4-aa42-466c-9c01-fed23315a9b7', '{"value":"192.0.2.7"}')}`);
    assert.equal(
      of('observed-data').find((o) => (o.object_refs as string[])[0] === ip?.id)?.id,
      `observed-data--${uuidv5(OPENDOOR_NAMESPACE, 'feed-scan-1 192.0.2.7 4242')}`,
    );
  });

  test('the STIX check refuses what the OASIS schemas refuse (the check above means something)', () => {
    const bundle = JSON.parse(render('stix')) as { objects: Array<Record<string, unknown>> };
    const spoil = (type: string, change: (o: Record<string, unknown>) => void) => {
      const copy = structuredClone(bundle);
      const o = copy.objects.find((x) => x.type === type);
      assert.ok(o !== undefined, type);
      change(o);
      return stixErrors(copy);
    };
    assert.notDeepEqual(
      spoil('observed-data', (o) => delete o.number_observed),
      [],
    );
    assert.notDeepEqual(
      spoil('note', (o) => (o.object_refs = [])),
      [],
    );
    assert.notDeepEqual(
      spoil('network-traffic', (o) => delete o.dst_ref),
      [],
    );
    assert.notDeepEqual(
      spoil('identity', (o) => (o.created = '2026-12-06T00:00:00Z')),
      [],
      'created to the millisecond',
    );
    assert.notDeepEqual(
      spoil('ipv4-addr', (o) => (o.id = 'ipv4-addr--not-a-uuid')),
      [],
    );
  });

  test('UUIDv5 as RFC 9562 gives it (the DNS namespace example)', () => {
    assert.equal(
      uuidv5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com'),
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  test('honeypots: left out, kept with --include-honeypots (marked); two exports are byte-equal', () => {
    for (const name of ['intelmq', 'shadowserver', 'stix']) {
      assert.ok(!render(name).includes('203.0.113.9'), `${name} leaves the honeypot out`);
      assert.ok(render(name, true).includes('203.0.113.9'), `${name} keeps it when asked`);
      assert.equal(render(name), render(name), `${name} twice`);
      assert.ok(!render(name, true).includes('198.51.100.4'), `${name}: low and info findings are no feed item`);
    }
    const kept = render('intelmq', true)
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((e) => e['source.ip'] === '203.0.113.9');
    assert.equal(kept?.['extra.honeypot_suspect'], true);
    assert.deepEqual(stixErrors(JSON.parse(render('stix', true))), []);
  });

  test('report: --format names the feeds, --include-honeypots only with them; two runs are equal', async () => {
    const a = await runCli(['report', 'feed-scan-1', '--db', db, '--format', 'stix']);
    const b = await runCli(['report', 'feed-scan-1', '--db', db, '--format', 'stix']);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout, b.stdout);
    const h = await runCli(['report', 'feed-scan-1', '--db', db, '--format', 'intelmq', '--include-honeypots']);
    assert.equal(h.code, 0, h.stderr);
    assert.equal(h.stdout.trimEnd().split('\n').length, 5);
    const bad = await runCli(['report', 'feed-scan-1', '--db', db, '--format', 'md', '--include-honeypots']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--include-honeypots applies to intelmq, shadowserver, stix only/);
    const unknown = await runCli(['report', '--db', db, '--format', 'misp']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /intelmq, shadowserver, stix/);
  });
});

/**
 * Attribution on the test fleet (real Orthanc and dcmtk servers on 127.0.77.x): --asn-data maps
 * its loopback addresses to two test networks, a --contacts file names the first one's desk (by
 * its AS), and the second one's abuse contact comes from a real RDAP server on loopback, asked
 * once per network; a second run asks it nothing (the store's cache) until the answers age out.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, serviceRecords } from './harness/cli.js';
import { assertServiceRecord } from './harness/contract.js';
import { FLEET, FLEET_RANGE, startFleet, type Fleet } from './harness/fleet.js';
import { removeDir, tempDir } from './harness/procs.js';
import { type RdapServer, startRdap } from './harness/rdap.js';

const dir = tempDir('attribution');
const db = path.join(dir, 'scans.db');
const asnData = path.join(dir, 'networks.csv');
const contacts = path.join(dir, 'contacts.txt');
/** Hospital A: .0-.5 (open and locked Orthanc, the dcmqrscp pair); hospital B: .6-.15 (TLS, HTTP, tarpit). */
const A = new Set<string>([FLEET.orthancOpen, FLEET.orthancLocked, FLEET.qrGuessable, FLEET.qrKnownPeers]);

describe('attribution on the fleet', () => {
  let fleet: Fleet;
  let rdap: RdapServer;
  before(async () => {
    fleet = await startFleet();
    rdap = await startRdap([
      {
        first: '127.0.77.0',
        last: '127.0.77.15',
        handle: 'NET-127-0-77-0-1',
        shape: 'arin',
        abuse: 'abuse@hospital-b.test',
      },
    ]);
    writeFileSync(
      asnData,
      '# the fleet as two networks\n127.0.77.0,127.0.77.5,64500,Hospital A\n127.0.77.6,127.0.77.15,64501,"Hospital B, Imaging"\n',
    );
    writeFileSync(contacts, '# hospital A runs its own desk\nAS64500 pacs-security@hospital-a.test Hospital A\n');
  });
  after(async () => {
    await rdap?.stop();
    await fleet?.stop();
    removeDir(dir);
  });

  const scan = (...extra: string[]) =>
    runCli([
      'scan',
      FLEET_RANGE,
      '--json',
      '--timeout',
      '1500',
      '--db',
      db,
      '--asn-data',
      asnData,
      '--contacts',
      contacts,
      '--rdap-url',
      rdap.url,
      '-v',
      ...extra,
    ]);

  test('every service attributed: A by its contacts file, B by RDAP, one query for its network', async () => {
    const r = await scan();
    assert.equal(r.code, 0, r.stderr);
    const services = serviceRecords(r.stdout);
    assert.ok(services.length >= 8, `${services.length} services`);
    assert.ok(
      services.some((s) => s.findings.some((f) => f.severity === 'critical')),
      'something exposed',
    );
    for (const s of services) {
      assertServiceRecord(s as unknown as Record<string, unknown>);
      const where = `${s.host}:${s.port}`;
      if (A.has(s.host))
        assert.deepEqual(
          s.network,
          {
            asn: 64500,
            asName: 'Hospital A',
            prefix: '127.0.77.0-127.0.77.5',
            cc: null,
            abuse: ['pacs-security@hospital-a.test'],
            abuseSource: 'contacts',
          },
          where,
        );
      else
        assert.deepEqual(
          s.network,
          {
            asn: 64501,
            asName: 'Hospital B, Imaging',
            prefix: '127.0.77.6-127.0.77.15',
            cc: null,
            abuse: ['abuse@hospital-b.test'],
            abuseSource: 'rdap',
          },
          where,
        );
    }
    assert.ok(
      services.some((s) => !A.has(s.host)),
      'hospital B has services',
    );
    assert.deepEqual(rdap.paths.length, 1, rdap.paths.join(' '));
    assert.match(rdap.paths[0] ?? '', /^\/rdap\/ip\/127\.0\.77\.([6-9]|10)$/);
    assert.match(r.stderr, /RDAP: 1 queries/);
  });

  test('a second run asks RDAP nothing: the answer is kept in the store; reports break exposure down by network', async () => {
    const r = await scan();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(rdap.paths.length, 1, 'no new query');
    const b = serviceRecords(r.stdout).filter((s) => !A.has(s.host));
    assert.ok(b.length > 0);
    for (const s of b)
      assert.deepEqual([s.network?.abuse, s.network?.abuseSource], [['abuse@hospital-b.test'], 'rdap']);
    const md = await runCli(['report', '--db', db, '--format', 'md']);
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, /By network \(exposed services\): AS64500 Hospital A \d+/);
    assert.match(md.stdout, /By network \(patients\): AS64500 Hospital A \d+/);
    const html = path.join(dir, 'r.html');
    assert.equal((await runCli(['report', '--db', db, '--format', 'html', '-o', html])).code, 0);
    assert.match(readFileSync(html, 'utf8'), /Exposed services by network/);
  });

  test('answers older than --rdap-ttl are asked again', async () => {
    const r = await scan('--rdap-ttl', '0s');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(rdap.paths.length, 2);
  });

  test('the options are stored with the scan, files as text: what --resume, workers and dashboard scans read back', async () => {
    const row = JSON.parse(
      (await runCli(['scans', '--db', db, '--json'])).stdout.trim().split('\n').at(-1) ?? '{}',
    ) as { id: string };
    assert.ok(typeof row.id === 'string');
    // the stored arguments carry the files' text, not only their names
    const { default: Database } = await import('better-sqlite3');
    const d = new Database(db, { readonly: true });
    const args = JSON.parse(
      (d.prepare('SELECT args FROM scans WHERE id = ?').get(row.id) as { args: string }).args,
    ) as {
      attribution?: { asnData?: { text: string }; contacts?: { text: string }; rdap?: { url: string; ttlS: number } };
    };
    d.close();
    assert.match(args.attribution?.asnData?.text ?? '', /Hospital B, Imaging/);
    assert.match(args.attribution?.contacts?.text ?? '', /AS64500/);
    assert.equal(args.attribution?.rdap?.url, rdap.url);
    assert.equal(args.attribution?.rdap?.ttlS, 0);
  });
});

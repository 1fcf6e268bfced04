/**
 * The store, one suite on both backends: SQLite (a file) and PostgreSQL (a real server from
 * Debian's package, started here on loopback). Same calls, same answers.
 */
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { ServiceRecord } from '../src/output/records.js';
import { SCHEMA_VERSION } from '../src/store/schema.js';
import type { ServiceFilter, Store } from '../src/store/store.js';
import { openStore } from '../src/store/open.js';
import { collect } from '../src/util/async.js';
import { runCli } from './harness/cli.js';
import { exposure, finding, serviceRecord } from './harness/records.js';
import { type Postgres, startPostgres } from './harness/postgres.js';
import { removeDir, tempDir } from './harness/procs.js';

let server: Postgres | null = null;
const dir = tempDir('store');
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.stop();
  removeDir(dir);
});

let files = 0;
const BACKENDS: Array<{ name: string; fresh: () => Promise<string> }> = [
  { name: 'sqlite', fresh: async () => path.join(dir, `s${++files}.db`) },
  { name: 'postgres', fresh: async () => (server as Postgres).database() },
  // a server whose text collation is a language's (as a Debian cluster made under en_US.UTF-8):
  // hosts still come back in the byte order SQLite gives
  {
    name: 'postgres with an en-US collation',
    fresh: async () => (server as Postgres).database({ icuLocale: 'en-US' }),
  },
];

/** A record of the fake product TEST: counted patients, a honeypot's judgement, findings by id. */
const record = (
  host: string,
  port: number,
  o: { patients?: number; honeypot?: boolean; findings?: string[] } = {},
): ServiceRecord =>
  serviceRecord(host, port, {
    product: 'TEST',
    exposure: o.patients === undefined ? null : exposure(o.patients),
    honeypot: { suspect: o.honeypot === true, reasons: o.honeypot === true ? ['test'] : [] },
    findings: (o.findings ?? []).map((id) => finding(id)),
  });

async function withStore<T>(db: string, fn: (s: Store) => Promise<T>): Promise<T> {
  const s = await openStore(db);
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

for (const backend of BACKENDS) {
  describe(`the store on ${backend.name}`, () => {
    test('totals per host (largest counts), honeypot bait apart, a host written twice counted once', async () => {
      const db = await backend.fresh();
      await withStore(db, async (s) => {
        await s.beginScan('a', { targets: [] });
        const state = { step: 3n, pending: [], hostsDone: 2, optedOut: 0 };
        const h1 = [
          record('127.0.0.1', 104, { patients: 10, findings: ['dicom-open-query'] }),
          record('127.0.0.1', 8042, { patients: 12 }),
        ];
        await s.recordHost('a', h1, state);
        await s.recordHost('a', h1, state); // a job run twice
        await s.recordHost(
          'a',
          [record('127.0.0.2', 104, { patients: 500, honeypot: true, findings: ['dicom-open-query'] })],
          state,
        );
        await s.finishScan('a', 'done', 5, 1234);
        const row = await s.scan('a');
        assert.equal(row?.services, 3);
        assert.equal(row?.exposed, 2);
        assert.equal(row?.patients, 12);
        assert.equal(row?.studies, 24);
        assert.equal(row?.instances, 36);
        assert.equal(row?.honeypotServices, 1);
        assert.equal(row?.honeypotPatients, 500);
        assert.equal(row?.hostsDone, 2);
        assert.equal(row?.status, 'done');
        assert.equal(row?.targets, 5);
        assert.equal(typeof row?.elapsedMs, 'number');
        const all = await collect(s.services('a'));
        assert.deepEqual(
          all.map((r) => `${r.host}:${r.port}`),
          ['127.0.0.1:104', '127.0.0.1:8042', '127.0.0.2:104'],
        );
        assert.deepEqual(
          (await s.servicesPage('a', 1, 1)).items.map((r) => r.port),
          [8042],
        );
        // the overview's breakdown, counted in the database (a honeypot's bait in no exposed tally)
        const t = await s.tallies('a');
        assert.deepEqual(t.bySeverity, [['critical', 2]]);
        assert.deepEqual(t.byProduct, [['TEST', 1]]);
        assert.deepEqual(t.byPort, [['104', 1]]);
        assert.deepEqual(t.byCountry, [['local', 1]]);
        // the dashboard's table: narrowed, sorted (a column from the list), counted in all
        const page = async (f: ServiceFilter) =>
          (await s.servicesPage('a', 10, 0, f)).items.map((r) => `${r.host}:${r.port}`);
        assert.deepEqual(await page({ sort: 'patients', desc: true }), [
          '127.0.0.2:104',
          '127.0.0.1:8042',
          '127.0.0.1:104',
        ]);
        assert.deepEqual(await page({ port: 104, host: '127.0.0.' }), ['127.0.0.1:104', '127.0.0.2:104']);
        assert.deepEqual(await page({ host: "127.0.0.1' OR '1'='1" }), []);
        assert.equal((await s.servicesPage('a', 1, 0, { port: 104 })).total, 2);
        // one host across scans, the newest first
        await sleep(2);
        await s.beginScan('b', {});
        await s.recordHost('b', [record('127.0.0.1', 104, { patients: 11 })], state);
        const h = await s.hostRecords('127.0.0.1', 10, 0);
        assert.equal(h.total, 3);
        assert.deepEqual(
          h.items.map((i) => `${i.scanId} ${i.record.port}`),
          ['b 104', 'a 104', 'a 8042'],
        );
        assert.equal((await s.summary('a')).patients, 12);
        // written again with fewer findings: the old ones go
        await s.recordHost('a', [record('127.0.0.1', 104, { patients: 10 })], state);
        assert.equal((await s.scan('a'))?.exposed, 1);
      });
    });

    test('more records than a page come back in order, and scans list in start order', async () => {
      const db = await backend.fresh();
      await withStore(db, async (s) => {
        await s.beginScan('p', {});
        // IPv4 and IPv6 hosts, and names: a language's collation would put '::1' before '10.0.0.1'
        const hosts = ['::1', '2001:db8::a', 'Archive.example', 'archive-b.example', 'archiveb.example'];
        const recs = [
          ...Array.from({ length: 1200 }, (_, i) => record(`10.0.${i >> 8}.${i & 255}`, 104)),
          ...hosts.map((h) => record(h, 104)),
        ];
        assert.equal(
          await s.addServices(
            'p',
            (async function* () {
              yield* recs;
            })(),
          ),
          1205,
        );
        const back = await collect(s.services('p'));
        assert.equal(back.length, 1205);
        const keys = back.map((r) => r.host);
        assert.deepEqual(keys, recs.map((r) => r.host).sort());
        const paged = (await s.servicesPage('p', 5, 1200)).items.map((r) => r.host);
        assert.deepEqual(paged, keys.slice(1200));
        await sleep(2);
        await s.beginScan('q', {});
        assert.deepEqual(
          (await s.listScans()).map((r) => r.id),
          ['p', 'q'],
        );
        assert.equal(await s.latestScanId(), 'q');
        assert.equal(await s.scan('nope'), null);
      });
    });

    test('the stored input of a streamed scan is replayed while the scan writes its progress between items', async () => {
      const db = await backend.fresh();
      await withStore(db, async (s) => {
        await s.beginScan('s', {});
        const n = 1300; // more than one page
        const journal = await s.journal('s');
        for (let i = 0; i < n; i++) await journal.addInput(`127.0.${i >> 8}.${i & 255}`, [104], false);
        assert.equal(await journal.addInput('127.0.0.0', [104], false), null, 'the same host and ports once');
        const seen: bigint[] = [];
        for await (const item of s.inputs('s', { step: 7n, pending: [3n, 5n], hostsDone: 0, optedOut: 0 })) {
          seen.push(item.idx);
          // what the scan does between items: progress and a host's records, on the same connection
          await s.saveProgress('s', { step: item.next ?? 0n, pending: [], hostsDone: seen.length, optedOut: 0 });
          await s.recordHost('s', [], { step: item.next ?? 0n, pending: [], hostsDone: seen.length, optedOut: 0 });
        }
        assert.deepEqual(seen, [3n, 5n, ...Array.from({ length: n - 7 }, (_, i) => BigInt(i + 7))]);
        assert.equal(await s.inputCount('s'), n);
        assert.deepEqual(await s.progress('s'), { step: BigInt(n), pending: [], hostsDone: n - 5, optedOut: 0 });
      });
    });

    test('a streamed scan whose input goes quiet has what it read committed within 50 ms', async () => {
      const db = await backend.fresh();
      await withStore(db, async (s) => {
        await s.beginScan('q', {});
        const journal = await s.journal('q');
        const line = await journal.addLine('192.0.2.7');
        await journal.addInput('192.0.2.7', [104], false);
        await journal.lineDone(line);
        const committed = () =>
          withStore(db, async (other) => (await other.inputLines('q')).length + (await other.inputCount('q')));
        assert.equal(await committed(), 0, 'held in one transaction while the input flows');
        await sleep(150);
        assert.equal(await committed(), 2);
      });
    });

    test('RDAP answers kept per network: the innermost covering one, fresh enough, in address order on IPv4 and IPv6', async () => {
      const db = await backend.fresh();
      await withStore(db, async (s) => {
        const now = Date.now();
        const v4 = (t: string) => BigInt(t.split('.').reduce((a, p) => a * 256 + Number(p), 0));
        await s.rdap.put({
          family: 4,
          first: v4('10.0.0.0'),
          last: v4('10.255.255.255'),
          abuse: ['a@big.test'],
          fetched: now,
        });
        await s.rdap.put({
          family: 4,
          first: v4('10.20.0.0'),
          last: v4('10.20.255.255'),
          abuse: ['b@small.test'],
          fetched: now,
        });
        // a hex digit above 9 in the first place: byte order, not a language's
        await s.rdap.put({
          family: 4,
          first: v4('172.16.0.0'),
          last: v4('172.31.255.255'),
          abuse: [],
          fetched: now - 10_000,
        });
        const six = 0x20010db8n << 96n;
        await s.rdap.put({
          family: 6,
          first: six,
          last: six | ((1n << 96n) - 1n),
          abuse: ['v6@net.test'],
          fetched: now,
        });
        assert.deepEqual((await s.rdap.find(4, v4('10.20.3.4'), now - 1000))?.abuse, ['b@small.test']);
        assert.deepEqual((await s.rdap.find(4, v4('10.21.0.1'), now - 1000))?.abuse, ['a@big.test']);
        assert.equal(await s.rdap.find(4, v4('11.0.0.1'), now - 1000), null);
        assert.equal(await s.rdap.find(4, v4('172.20.0.1'), now - 1000), null, 'aged out');
        assert.deepEqual((await s.rdap.find(4, v4('172.20.0.1'), now - 60_000))?.abuse, []);
        const hit = await s.rdap.find(6, six | 0xabcn, now - 1000);
        assert.equal(hit?.first, six);
        assert.deepEqual(hit?.abuse, ['v6@net.test']);
        assert.equal(await s.rdap.find(4, 0x20010db8n, now - 1000), null, 'families apart');
        // asked again, an answer replaces the one kept
        await s.rdap.put({
          family: 4,
          first: v4('10.20.0.0'),
          last: v4('10.20.255.255'),
          abuse: ['c@small.test'],
          fetched: now,
        });
        assert.deepEqual((await s.rdap.find(4, v4('10.20.3.4'), now - 1000))?.abuse, ['c@small.test']);
      });
    });

    test('the opt-out list (add, again, list, remove); opted-out counts with progress and slices, out of targets', async () => {
      const db = await backend.fresh();
      await withStore(db, async (s) => {
        assert.equal(await s.optouts.add('192.0.2.0/24', 'asked', 'cli'), 'added');
        await sleep(2);
        assert.equal(await s.optouts.add('AS64500', '', 'alice'), 'added');
        assert.equal(await s.optouts.add('192.0.2.0/24', 'ticket 4711', 'bob'), 'updated');
        const list = await s.optouts.list();
        assert.deepEqual(
          list.map((r) => [r.scope, r.reason, r.by]),
          [
            ['192.0.2.0/24', 'ticket 4711', 'cli'],
            ['AS64500', '', 'alice'],
          ],
        );
        assert.ok(list.every((r) => !Number.isNaN(Date.parse(r.created))));
        assert.equal(await s.optouts.remove('192.0.2.0/24'), true);
        assert.equal(await s.optouts.remove('192.0.2.0/24'), false);
        assert.deepEqual(
          (await s.optouts.list()).map((r) => r.scope),
          ['AS64500'],
        );
        // one machine: the count is kept with the step that passed it
        await s.beginScan('one', {});
        await s.saveProgress('one', { step: 9n, pending: [4n], hostsDone: 5, optedOut: 3 });
        assert.deepEqual(await s.progress('one'), { step: 9n, pending: [4n], hostsDone: 5, optedOut: 3 });
        await s.finishScan('one', 'done', 10 - 3, 5);
        const one = await s.summary('one');
        assert.deepEqual([one.targets, one.optedOut], [7, 3]);
        // slices: each keeps its own (a slice run again counts from 0), the scan's targets are net of their sum
        await s.beginScan('queued', {}, 'queued');
        await s.slices.add('queued', [
          { from: 0n, to: 4n },
          { from: 4n, to: 8n },
        ]);
        await s.slices.hold('queued', [{ slice: 0, queueId: 'j0' }], 'w1');
        await s.slices.hold('queued', [{ slice: 0, queueId: 'j0' }], 'w2'); // w1 died: run again, from 0
        assert.equal(
          await s.slices.done('queued', [{ slice: 0, hostsDone: 2, optedOut: 2 }], { targets: 8, elapsedMs: 1 }),
          1,
        );
        await s.slices.hold('queued', [{ slice: 1, queueId: 'j1' }], 'w2');
        assert.equal(
          await s.slices.done('queued', [{ slice: 1, hostsDone: 3, optedOut: 1 }], { targets: 8, elapsedMs: 2 }),
          0,
        );
        const row = await s.scan('queued');
        assert.deepEqual([row?.status, row?.targets, row?.optedOut, row?.hostsDone], ['done', 5, 3, 5]);
        assert.equal((await s.summary('queued')).optedOut, 3);
      });
    });

    test('campaigns: tickets unique per day, what a sent notice told, a failed notice resent, rechecks dated', async () => {
      await withStore(await backend.fresh(), async (s) => {
        const day = new Date('2026-12-06T10:00:00Z');
        const c = await s.campaigns.ensure('c1', 'count', 'scan-1');
        assert.deepEqual([c.name, c.depth, c.scanId], ['c1', 'count', 'scan-1']);
        assert.equal((await s.campaigns.ensure('c1', 'detect', 'scan-2')).depth, 'count'); // made once
        const svc = (host: string) => ({
          host,
          port: 104,
          findings: ['dicom-open-query', 'dicom-open-association'],
          asn: 64500,
          asName: 'N',
          cc: 'DE',
          record: JSON.stringify(record(host, 104)),
        });
        assert.deepEqual(await s.campaigns.nextTickets(day, 2), ['OD-20261206-0001', 'OD-20261206-0002']);
        const t1 = await s.campaigns.addNotice(
          { campaign: 'c1', contact: 'a@x.test', scanId: 'scan-1', services: [svc('10.0.0.1')] },
          day,
        );
        const t2 = await s.campaigns.addNotice(
          { campaign: 'c1', contact: 'b@x.test', scanId: 'scan-1', services: [svc('10.0.0.2')] },
          day,
        );
        assert.deepEqual([t1, t2], ['OD-20261206-0001', 'OD-20261206-0002']);
        await s.campaigns.setNoticeState(t1, 'sent', null);
        await s.campaigns.setNoticeState(t2, 'failed', '550 5.1.1 no such user');
        assert.deepEqual([...(await s.campaigns.notified('c1'))].sort(), [
          '10.0.0.1 104 dicom-open-association',
          '10.0.0.1 104 dicom-open-query',
        ]);
        // the failed one again: a new ticket, the service moves to it
        const t3 = await s.campaigns.addNotice(
          { campaign: 'c1', contact: 'b@x.test', scanId: 'scan-1', services: [svc('10.0.0.2')] },
          day,
        );
        assert.equal(t3, 'OD-20261206-0003');
        await s.campaigns.setNoticeState(t3, 'sent', null);
        const rows = await s.campaigns.services('c1');
        assert.deepEqual(
          rows.map((r) => [r.host, r.port, r.ticket, r.asn]),
          [
            ['10.0.0.1', 104, t1, 64500],
            ['10.0.0.2', 104, t3, 64500],
          ],
        );
        const notices = await s.campaigns.notices('c1');
        assert.deepEqual(
          notices.map((n) => [n.ticket, n.state, n.error]),
          [
            [t1, 'sent', null],
            [t2, 'failed', '550 5.1.1 no such user'],
            [t3, 'sent', null],
          ],
        );
        await s.campaigns.recheck('c1', '10.0.0.1', 104, 'closed', '2026-12-10T00:00:00.000Z');
        await s.campaigns.recheck('c1', '10.0.0.1', 104, 'closed', '2026-12-12T00:00:00.000Z');
        await s.campaigns.recheck('c1', '10.0.0.2', 104, 'open', '2026-12-12T00:00:00.000Z');
        const after = await s.campaigns.services('c1');
        assert.deepEqual(
          after.map((r) => [r.state, r.checked, r.closed]),
          [
            ['closed', '2026-12-12T00:00:00.000Z', '2026-12-10T00:00:00.000Z'],
            ['open', '2026-12-12T00:00:00.000Z', null],
          ],
        );
        assert.deepEqual(
          (await s.campaigns.list()).map((x) => x.name),
          ['c1'],
        );
      });
    });

    test('a database of a newer release is refused with one line, exit 1', async () => {
      const db = await backend.fresh();
      await withStore(db, async () => undefined);
      if (backend.name === 'sqlite') {
        const d = new Database(db);
        d.exec(`UPDATE opendoor_schema SET version = ${SCHEMA_VERSION + 1}`);
        d.close();
      } else {
        const c = new pg.Client(db);
        await c.connect();
        await c.query(`UPDATE opendoor_schema SET version = ${SCHEMA_VERSION + 1}`);
        await c.end();
      }
      const r = await runCli(['scans', '--db', db]);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        new RegExp(`^opendoor: the database .* has schema version ${SCHEMA_VERSION + 1}, newer than`),
      );
      assert.equal(r.stderr.trim().split('\n').length, 1);
    });
  });
}

describe('the store: SQLite files of earlier releases', () => {
  test('the progress kept in its scans row carries over; a honeypot row of version 1 keeps its bait apart', async () => {
    const file = path.join(dir, 'old.db');
    const old = new Database(file);
    old.exec(`CREATE TABLE scans (id TEXT PRIMARY KEY, started TEXT NOT NULL, finished TEXT, status TEXT NOT NULL,
        args TEXT NOT NULL, targets INTEGER NOT NULL DEFAULT 0, elapsed_ms INTEGER NOT NULL DEFAULT 0,
        resume_step TEXT NOT NULL DEFAULT '0', resume_pending TEXT NOT NULL DEFAULT '[]', hosts_done INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE services (scan_id TEXT NOT NULL, host TEXT NOT NULL, port INTEGER NOT NULL, protocol TEXT NOT NULL,
        product TEXT, exposed INTEGER NOT NULL, patients INTEGER NOT NULL DEFAULT 0, studies INTEGER NOT NULL DEFAULT 0,
        instances INTEGER NOT NULL DEFAULT 0, record TEXT NOT NULL, PRIMARY KEY (scan_id, host, port));
      INSERT INTO scans VALUES ('old', '2026-11-01T00:00:00.000Z', NULL, 'interrupted', '{}', 0, 1200, '77', '["70","75"]', 75);`);
    old
      .prepare('INSERT INTO services VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(
        'old',
        '127.0.0.9',
        104,
        'dicom',
        null,
        1,
        0,
        0,
        0,
        JSON.stringify(record('127.0.0.9', 104, { patients: 7, honeypot: true })),
      );
    old.close();
    await withStore(file, async (s) => {
      assert.deepEqual(await s.progress('old'), { step: 77n, pending: [70n, 75n], hostsDone: 75, optedOut: 0 });
      const row = await s.scan('old');
      assert.equal(row?.hostsDone, 75);
      assert.equal(row?.patients, 0);
      assert.equal(row?.honeypotPatients, 7);
      await s.saveProgress('old', { step: 80n, pending: [], hostsDone: 80, optedOut: 0 });
    });
    await withStore(file, async (s) => {
      assert.deepEqual(await s.progress('old'), { step: 80n, pending: [], hostsDone: 80, optedOut: 0 });
    });
  });
});

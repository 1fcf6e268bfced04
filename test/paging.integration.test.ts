/**
 * Keyset pages and per-scan tallies, on both backends (SQLite, and a real PostgreSQL started here
 * on loopback): walking every page by cursor gives each record once, in the sort's order, for
 * every sort and direction; the tallies kept as records arrive (rewrites, honeypots, findings
 * changed) equal what the queries over every row give (the countries: countryOf of each exposed
 * service's host), and so do the tallies the schema steps make for a database of version 13 (no
 * tallies) or 14 (tallies by host, not country).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { ServiceRecord } from '../src/output/records.js';
import { openStore } from '../src/store/open.js';
import { CursorError, SERVICE_SORTS, type ServiceFilter, type Store } from '../src/store/store.js';
import { countryOf } from '../src/targets/country.js';
import { exposure, finding, serviceRecord } from './harness/records.js';
import { type Postgres, startPostgres } from './harness/postgres.js';
import { removeDir, tempDir } from './harness/procs.js';

let server: Postgres | null = null;
const dir = tempDir('paging');
before(async () => {
  server = await startPostgres('127.0.88.2');
});
after(async () => {
  await server?.stop();
  removeDir(dir);
});

type Raw = (sql: string) => Promise<Array<Record<string, unknown>>>;
const BACKENDS: Array<{ name: string; fresh: () => Promise<{ db: string; raw: Raw }> }> = [
  {
    name: 'sqlite',
    fresh: async () => {
      const db = path.join(dir, `p${Date.now()}.db`);
      return {
        db,
        raw: async (sql) => {
          const d = new Database(db);
          try {
            if (sql.trim().startsWith('SELECT')) return d.prepare(sql).all() as Array<Record<string, unknown>>;
            d.exec(sql);
            return [];
          } finally {
            d.close();
          }
        },
      };
    },
  },
  {
    name: 'postgres',
    fresh: async () => {
      const db = await (server as Postgres).database();
      return {
        db,
        raw: async (sql) => {
          const c = new pg.Client(db);
          await c.connect();
          try {
            return (await c.query(sql)).rows as Array<Record<string, unknown>>;
          } finally {
            await c.end();
          }
        },
      };
    },
  },
];

const PRODUCTS = ['Orthanc', 'DCMTK', null, 'dcm4chee', 'Conquest'];

/** First octets of public IPv4 blocks of several countries: addresses written into the store as data, never contacted. */
const PUBLIC = [1, 5, 31, 41, 62, 77, 91, 103, 133, 151, 177, 185, 193, 200, 212];

/** Host i's address: IPv6 (country 'unknown'), private ('local'), or public IPv4 of some country. */
function hostOf(i: number): string {
  if (i % 7 === 0) return `2001:db8::${i.toString(16)}`;
  if (i % 7 === 1 || i % 7 === 4) return `10.${i % 3}.${(i >> 8) & 255}.${i & 255}`;
  return `${PUBLIC[i % PUBLIC.length]}.${i % 3}.${(i >> 8) & 255}.${i & 255}`;
}

/** Host i's records: 1 to 3 ports, products with NULLs, many equal counts, some honeypots, findings, networks. */
function hostRecords(i: number, round: number): ServiceRecord[] {
  const host = hostOf(i);
  return [104, 8042, 11112].slice(0, 1 + ((i + round) % 3)).map((port, j) => {
    const exposed = (i + j + round) % 3 === 0;
    return serviceRecord(host, port, {
      protocol: port === 8042 ? 'http' : 'dicom',
      product: PRODUCTS[(i + j) % PRODUCTS.length] ?? null,
      exposure: exposed ? exposure(((i * 7 + j) % 5) * 10) : null,
      honeypot: { suspect: i % 11 === 0, reasons: i % 11 === 0 ? ['test'] : [] },
      findings: exposed ? [finding('dicom-open-query', j === 0 ? 'critical' : 'high')] : [],
      ...(i % 5 === 0
        ? {}
        : {
            network: {
              asn: 64500 + (i % 4),
              asName: i % 8 === 0 ? '' : i % 8 === 4 ? null : `Net ${i % 4}`,
              prefix: null,
              cc: null,
              abuse: [],
              abuseSource: null,
            },
          }),
    });
  });
}

async function fill(s: Store, hosts: number): Promise<void> {
  await s.beginScan('a', { targets: [] });
  const state = { step: 0n, pending: [], hostsDone: 0, optedOut: 0 };
  await s.addServices(
    'a',
    (async function* () {
      for (let i = 0; i < hosts; i++) yield* hostRecords(i, 0);
    })(),
  );
  // hosts written again: a job run twice, then records changed (ports gone, counts, findings, bait)
  for (let i = 0; i < hosts; i += 9) await s.recordHost('a', hostRecords(i, 0), state);
  for (let i = 0; i < hosts; i += 4) await s.recordHost('a', hostRecords(i, 1), state);
}

/** The totals and breakdowns as the queries over every row gave them before the tallies. */
async function fullScan(raw: Raw): Promise<Record<string, unknown>> {
  const EXPOSED = "FROM services WHERE scan_id = 'a' AND exposed = 1 AND honeypot = 0";
  const pairs = async (sql: string) =>
    (await raw(sql)).map((r) => [String(r['k'] ?? 'unidentified'), Number(r['n'])]).sort();
  const [t] = await raw(
    `SELECT COUNT(*) AS services, SUM(exposed) AS exposed, SUM(honeypot) AS hn FROM services WHERE scan_id = 'a'`,
  );
  const [h] = await raw(`SELECT SUM(p) AS p, SUM(st) AS st, SUM(i) AS i, SUM(hp) AS hp, SUM(hs) AS hs FROM (SELECT host,
      MAX(CASE WHEN honeypot = 0 THEN patients ELSE 0 END) AS p, MAX(CASE WHEN honeypot = 0 THEN studies ELSE 0 END) AS st,
      MAX(CASE WHEN honeypot = 0 THEN instances ELSE 0 END) AS i, MAX(CASE WHEN honeypot = 1 THEN patients ELSE 0 END) AS hp,
      MAX(CASE WHEN honeypot = 1 THEN studies ELSE 0 END) AS hs FROM services WHERE scan_id = 'a' GROUP BY host) x`);
  return {
    totals: [t?.['services'], t?.['exposed'], t?.['hn'], h?.['p'], h?.['st'], h?.['i'], h?.['hp'], h?.['hs']].map(
      Number,
    ),
    bySeverity: await pairs("SELECT severity AS k, COUNT(*) AS n FROM findings WHERE scan_id = 'a' GROUP BY severity"),
    byProduct: await pairs(`SELECT product AS k, COUNT(*) AS n ${EXPOSED} GROUP BY product`),
    byPort: await pairs(`SELECT port AS k, COUNT(*) AS n ${EXPOSED} GROUP BY port`),
    byCountry: [
      ...(await raw(`SELECT host, COUNT(*) AS n ${EXPOSED} GROUP BY host`)).reduce((m, r) => {
        const c = countryOf(String(r['host']));
        return m.set(c, (m.get(c) ?? 0) + Number(r['n']));
      }, new Map<string, number>()),
    ].sort(),
    byNetwork: (await raw(`SELECT asn, as_name, COUNT(*) AS n ${EXPOSED} GROUP BY asn, as_name`))
      .map((r) => [
        r['asn'] === null ? 'unknown' : `AS${r['asn']}${r['as_name'] ? ` ${r['as_name']}` : ''}`,
        Number(r['n']),
      ])
      .sort(),
    byNetworkPatients: (
      await raw(`SELECT asn, as_name, SUM(p) AS n FROM (SELECT host, asn, as_name, MAX(patients) AS p ${EXPOSED}
        GROUP BY host, asn, as_name) x GROUP BY asn, as_name`)
    )
      .map((r) => [
        r['asn'] === null ? 'unknown' : `AS${r['asn']}${r['as_name'] ? ` ${r['as_name']}` : ''}`,
        Number(r['n']),
      ])
      .filter(([, n]) => n !== 0)
      .sort(),
  };
}

async function fromTallies(s: Store): Promise<Record<string, unknown>> {
  const r = await s.scan('a');
  const t = await s.tallies('a');
  const sorted = (p: Array<[string, number]>) => [...p].sort();
  return {
    totals: [
      r?.services,
      r?.exposed,
      r?.honeypotServices,
      r?.patients,
      r?.studies,
      r?.instances,
      r?.honeypotPatients,
      r?.honeypotStudies,
    ],
    bySeverity: sorted(t.bySeverity),
    byProduct: sorted(t.byProduct),
    byPort: sorted(t.byPort),
    byCountry: sorted(t.byCountry),
    byNetwork: sorted(t.byNetwork),
    byNetworkPatients: sorted(t.byNetworkPatients),
  };
}

const key = (r: ServiceRecord) => `${r.host} ${r.port}`;

for (const backend of BACKENDS) {
  describe(`pages and tallies on ${backend.name}`, () => {
    test('every page by cursor, each record once in order; tallies equal the counts over every row', async () => {
      const { db, raw } = await backend.fresh();
      const s = await openStore(db);
      try {
        await fill(s, 700);
        const everything = await s.servicesPage('a', 1_000_000, 0);
        assert.ok(everything.total > 900, `${everything.total} records`);
        const filters: ServiceFilter[] = [
          ...SERVICE_SORTS.flatMap((sort) => [{ sort }, { sort, desc: true }]),
          { port: 104, sort: 'patients', desc: true },
          { exposed: true, sort: 'product' },
          { host: '10.1.', sort: 'port' },
        ];
        for (const f of filters) {
          const all = await s.servicesPage('a', 1_000_000, 0, f);
          const seen: string[] = [];
          let page = await s.servicesPage('a', 37, 0, f);
          for (let n = 0; ; n++) {
            assert.equal(page.total, all.total, JSON.stringify(f));
            seen.push(...page.items.map(key));
            if (page.next === null) break;
            assert.ok(n < 1000);
            page = await s.servicesPage('a', 37, 999_999, { ...f, after: page.next });
          }
          assert.deepEqual(seen, all.items.map(key), `the walk by cursor of ${JSON.stringify(f)}`);
          assert.equal(new Set(seen).size, all.total);
          // an offset page is the same rows as the cursor's
          assert.deepEqual((await s.servicesPage('a', 37, 74, f)).items.map(key), seen.slice(74, 111));
          // back from the last page by prev: the same pages, every record once, in order, then the first (prev null)
          const back: string[] = [];
          for (let n = 0; ; n++) {
            assert.equal(page.total, all.total);
            const at = all.total - back.length - page.items.length;
            assert.deepEqual(page.items.map(key), seen.slice(at, at + page.items.length), `${JSON.stringify(f)} ${at}`);
            back.unshift(...page.items.map(key));
            if (page.prev === null) break;
            assert.ok(n < 1000);
            page = await s.servicesPage('a', 37, 999_999, { ...f, before: page.prev });
            assert.notEqual(page.next, null);
          }
          assert.deepEqual(back, seen, `the walk back by cursor of ${JSON.stringify(f)}`);
          // a mixed walk, forward 3 pages and back 2, lands where offset 37 does, and walks on from it alike
          let mixed = await s.servicesPage('a', 37, 0, f);
          assert.equal(mixed.prev, null);
          for (const way of ['after', 'after', 'after', 'before', 'before'] as const)
            mixed = await s.servicesPage('a', 37, 0, {
              ...f,
              [way]: (way === 'after' ? mixed.next : mixed.prev) ?? '',
            });
          const byOffset = await s.servicesPage('a', 37, 37, f);
          assert.deepEqual(mixed.items.map(key), byOffset.items.map(key));
          assert.deepEqual([mixed.next, mixed.prev], [byOffset.next, byOffset.prev]);
          const before = await s.servicesPage('a', 37, 0, { ...f, before: byOffset.prev ?? '' });
          assert.deepEqual(before.items.map(key), seen.slice(0, 37));
          assert.equal(before.prev, null);
        }
        // the sort's order itself: patients descending, then host and port descending
        const byPatients = (await s.servicesPage('a', 1_000_000, 0, { sort: 'patients', desc: true })).items;
        for (let i = 1; i < byPatients.length; i++) {
          const [a, b] = [byPatients[i - 1], byPatients[i]] as [ServiceRecord, ServiceRecord];
          const pa = a.exposure?.patients ?? 0;
          const pb = b.exposure?.patients ?? 0;
          assert.ok(pa > pb || (pa === pb && (a.host > b.host || (a.host === b.host && a.port > b.port))));
        }
        // a cursor made for another sort, or none of ours
        const next = (await s.servicesPage('a', 5, 0, { sort: 'port' })).next ?? '';
        await assert.rejects(s.servicesPage('a', 5, 0, { sort: 'studies', after: next }), CursorError);
        await assert.rejects(s.servicesPage('a', 5, 0, { after: 'bm90IG9uZQ' }), CursorError);
        await assert.rejects(s.servicesPage('a', 5, 0, { sort: 'studies', before: next }), CursorError);
        await assert.rejects(s.servicesPage('a', 5, 0, { sort: 'port', after: next, before: next }), CursorError);
        // a host's records across scans by cursor
        await s.beginScan('b', {});
        await s.recordHost('b', hostRecords(3, 2), null);
        const host = hostRecords(3, 0)[0]?.host ?? '';
        const whole = await s.hostRecords(host, 100, 0);
        const walked: string[] = [];
        for (let p = await s.hostRecords(host, 1, 0); ; p = await s.hostRecords(host, 1, 0, { after: p.next ?? '' })) {
          walked.push(...p.items.map((i) => `${i.scanId} ${i.record.port}`));
          if (p.next === null) break;
        }
        assert.deepEqual(
          walked,
          whole.items.map((i) => `${i.scanId} ${i.record.port}`),
        );
        // and back from the last page by prev, pages of 1 and of 2
        assert.ok(whole.items.length >= 4, `${whole.items.length} records of ${host}`);
        for (const limit of [1, 2]) {
          let p = await s.hostRecords(host, limit, whole.items.length - 1);
          assert.equal(p.next, null);
          const back: string[] = [];
          for (let n = 0; ; n++, p = await s.hostRecords(host, limit, 0, { before: p.prev ?? '' })) {
            back.unshift(...p.items.map((i) => `${i.scanId} ${i.record.port}`));
            if (p.prev === null) break;
            assert.ok(n < 100);
          }
          assert.deepEqual(back, walked, `back by ${limit}`);
        }
        await assert.rejects(s.hostRecords(host, 1, 0, { after: next }), CursorError);
        await assert.rejects(s.hostRecords(host, 1, 0, { before: next }), CursorError);

        const expected = await fullScan(raw);
        const countries = (expected['byCountry'] as Array<[string, number]>).map(([c]) => c);
        assert.ok(countries.includes('local') && countries.includes('unknown'), countries.join());
        assert.ok(countries.filter((c) => /^[A-Z]{2}$/.test(c)).length >= 5, countries.join());
        assert.deepEqual(await fromTallies(s), expected);
        await s.close();
        // every tally row of every scan, as the writes kept them
        const allRows = async () =>
          (await raw('SELECT scan_id, kind, k, n FROM scan_tallies WHERE n <> 0'))
            .map((r) => `${r['scan_id']} ${r['kind']} ${r['k']} ${Number(r['n'])}`)
            .sort();
        const kept = await allRows();
        assert.ok(kept.some((r) => r.startsWith('b country ')));
        // a database of version 13: the schema steps fill its tallies from its records
        await raw(`DROP INDEX services_by_product; ALTER TABLE services DROP COLUMN product_key; DROP TABLE scan_tallies;
          UPDATE opendoor_schema SET version = 13`);
        const again = await openStore(db);
        try {
          assert.deepEqual(await fromTallies(again), expected);
        } finally {
          await again.close();
        }
        assert.deepEqual(await allRows(), kept);
        // a database of version 14: exposed services (bait apart) tallied by host, as version 14 kept them
        await raw(`DELETE FROM scan_tallies WHERE kind = 'country';
          INSERT INTO scan_tallies (scan_id, kind, k, n) SELECT scan_id, 'host', host, COUNT(*) FROM services
            WHERE exposed = 1 AND honeypot = 0 GROUP BY scan_id, host;
          UPDATE opendoor_schema SET version = 14`);
        const hostRows = await raw("SELECT COUNT(*) AS n FROM scan_tallies WHERE kind = 'host'");
        assert.ok(Number(hostRows[0]?.['n']) > 100);
        const third = await openStore(db);
        try {
          assert.deepEqual(await fromTallies(third), expected);
        } finally {
          await third.close();
        }
        assert.deepEqual(await allRows(), kept, 'the host rows summed into country rows, and gone');
        assert.deepEqual(
          await raw('SELECT version FROM opendoor_schema').then((r) => r.map((v) => Number(v['version']))),
          [15],
        );
      } finally {
        await s.close().catch(() => undefined);
      }
    });
  });
}

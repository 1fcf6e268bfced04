/**
 * Honeypots that come as fleets (issue 24): six copies of a persona with no tell of its own (stock
 * DCMTK identity, honest matching, made-up SOP classes refused, hospital-like studies) beside real
 * Orthancs — one with its own archive, two that mirror the same data. The six are one cluster,
 * judged a fleet (honeypots, their patients in no total: summary, report, store); the mirror is a
 * cluster and no fleet; the single archive is in none. Nothing kept can be tested against guessed
 * patient values once the scan is over: the print key and the prints are gone, no value is stored.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import type { ClusterRecord, ServiceRecord, SummaryRecord } from '../src/output/records.js';
import { openStore } from '../src/store/open.js';
import { collect } from '../src/util/async.js';
import { runCli, startCli } from './harness/cli.js';
import { assertServiceRecord, assertSummaryRecord } from './harness/contract.js';
import { OPEN_ORTHANC } from './harness/fleet.js';
import { QUIET_DCMTK, startPersona } from './harness/personas.js';
import { startPostgres } from './harness/postgres.js';
import { addAccounts, startServe } from './harness/serve.js';
import { removeDir, tempDir } from './harness/procs.js';
import { startOrthanc, type TestServer } from './harness/servers.js';
import { makeArchive, makeStudyFiles } from './harness/studies.js';

const NET = '127.0.103';
const SINGLE = `${NET}.2`;
const MIRROR = [`${NET}.3`, `${NET}.4`];
const FLEET = Array.from({ length: 6 }, (_, i) => `${NET}.${11 + i}`);
const RANGE = `${NET}.2-16`;

const stops: Array<() => Promise<void>> = [];
const dirs: string[] = [];
const want = { single: { patients: 0, studies: 0 }, mirror: { patients: 0, studies: 0 } };
before(async () => {
  const a = tempDir('fleet-single');
  const b = tempDir('fleet-mirror');
  dirs.push(a, b);
  const specs = [1, 2, 3, 4].map((i) => ({
    patientName: `SINGLE^P${i}`,
    patientId: `S${i}`,
    date: '20260301',
    time: `10${i}000`,
    accession: `ACC${i}`,
  }));
  const singleFiles = makeStudyFiles(a, specs);
  want.single = { patients: 4, studies: 4 };
  const mirror = makeArchive(b, { patients: 2, studiesPerPatient: 2, seriesPerStudy: 1, instancesPerSeries: 1 });
  want.mirror = { patients: mirror.patients, studies: mirror.studies };
  const servers: TestServer[] = await Promise.all([
    startOrthanc({ host: SINGLE, files: singleFiles, config: OPEN_ORTHANC }),
    ...MIRROR.map((host) => startOrthanc({ host, files: mirror.files, config: OPEN_ORTHANC })),
  ]);
  for (const s of servers) stops.push(() => s.stop());
  for (const host of FLEET) stops.push((await startPersona(host, 11112, QUIET_DCMTK)).stop);
});
after(async () => {
  await Promise.all(stops.map((s) => s()));
  dirs.forEach(removeDir);
});

test('a fleet of tell-less personas is judged honeypots, a mirrored pair of real archives is not', async () => {
  const dir = tempDir('fleets');
  dirs.push(dir);
  const db = path.join(dir, 'f.db');
  const r = await runCli(['scan', RANGE, '-p', '4242,8042,11112', '--json', '--timeout', '1500', '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string });
  const services = lines.filter((l): l is ServiceRecord => l.type === 'service');
  const clusters = lines.filter((l): l is ClusterRecord => l.type === 'cluster');
  const summary = lines.at(-1) as SummaryRecord;
  for (const s of services) assertServiceRecord(s as unknown as Record<string, unknown>);
  assertSummaryRecord(summary as unknown as Record<string, unknown>);

  // no per-host tell: as each persona finished, its record said it was an open archive
  for (const host of FLEET) {
    const s = services.find((x) => x.host === host);
    assert.equal(s?.honeypot?.suspect, false, `${host}: streamed before its cluster was known`);
    assert.equal(s?.exposure?.patients, 3, host);
    assert.equal(s?.product, 'DCMTK', host);
  }
  // when every host was in: the fleet, then the mirror, as cluster records before the summary
  assert.deepEqual(
    clusters.map((c) => ({ id: c.id, size: c.size, basis: c.basis, fleet: c.fleet, hosts: c.hosts })),
    [
      { id: 'c1', size: 6, basis: ['association', 'data'], fleet: true, hosts: FLEET },
      { id: 'c2', size: 2, basis: ['association', 'data', 'web'], fleet: false, hosts: MIRROR },
    ],
  );
  assert.deepEqual(
    summary.clusters,
    clusters.map(({ id, size, basis, fleet }) => ({ id, size, basis, fleet })),
  );
  // totals: the single archive and both mirrors (each exposes its patients); the fleet only apart
  assert.equal(summary.patients, want.single.patients + 2 * want.mirror.patients);
  assert.equal(summary.studies, want.single.studies + 2 * want.mirror.studies);
  assert.deepEqual(summary.honeypots, { services: 6, patients: 18, studies: 18 });

  // the store's records say so: reports, diff and the dashboard read them
  const store = await openStore(db, { readOnly: true });
  try {
    const stored = await collect(store.services(summary.scanId));
    for (const host of FLEET) {
      const s = stored.find((x) => x.host === host);
      assert.deepEqual(s?.honeypot, { suspect: true, reasons: ['fleet:c1'] }, host);
      assert.deepEqual(s?.cluster, { id: 'c1', size: 6, basis: ['association', 'data'] }, host);
      assert.deepEqual(
        s?.findings.map((f) => f.id),
        ['honeypot-suspected'],
        host,
      );
    }
    const mirrored = stored.filter((x) => MIRROR.includes(x.host));
    assert.deepEqual(
      mirrored.map((s) => `${s.host}:${s.port}`),
      MIRROR.flatMap((h) => [`${h}:4242`, `${h}:8042`]),
    );
    for (const s of mirrored) {
      assert.equal(s.honeypot?.suspect, false, `${s.host}:${s.port}`);
      assert.deepEqual(s.cluster, { id: 'c2', size: 2, basis: ['association', 'data', 'web'] });
      assert.ok(
        s.findings.some((f) => f.severity === 'critical' || f.severity === 'high'),
        `${s.host}:${s.port} stays exposed`,
      );
    }
    const single = stored.filter((x) => x.host === SINGLE);
    assert.equal(single.length, 2);
    for (const s of single) assert.equal(s.cluster, undefined);
    assert.deepEqual(await store.clusters.prints(summary.scanId), []);
    assert.deepEqual(await store.summary(summary.scanId), { ...summary, elapsedMs: summary.elapsedMs });
  } finally {
    await store.close();
  }
  // nothing left that a guess could be tested against, and no value anywhere in the file
  const sql = new Database(db, { readonly: true });
  try {
    const count = (t: string) => (sql.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
    assert.equal(count('scan_keys'), 0);
    assert.equal(count('host_prints'), 0);
    assert.equal(count('clusters'), 2);
  } finally {
    sql.close();
  }
  const bytes = readFileSync(db).toString('latin1');
  for (const value of ['MRN48211', 'NIELSEN', QUIET_DCMTK.studies[0]?.uid ?? '-', 'SINGLE^P1'])
    assert.ok(!bytes.includes(value), `${value} is not in the database`);

  // the report: the same figures, the clusters listed
  const md = await runCli(['report', summary.scanId, '--db', db, '--format', 'md']);
  assert.equal(md.code, 0, md.stderr);
  assert.match(md.stdout, /- c1: 6 hosts answered alike \(association, data\): a fleet, judged honeypots/);
  assert.match(md.stdout, /- c2: 2 hosts answered alike \(association, data, web\) — 127\.0\.103\.3, 127\.0\.103\.4/);
  const json = JSON.parse((await runCli(['report', summary.scanId, '--db', db, '--format', 'json'])).stdout) as {
    headline: { patients: number; studies: number; honeypotServices: number };
    clusters: Array<{ id: string; fleet: boolean }>;
  };
  assert.equal(json.headline.patients, summary.patients);
  assert.equal(json.headline.studies, summary.studies);
  assert.equal(json.headline.honeypotServices, 6);
  assert.deepEqual(
    json.clusters.map((c) => [c.id, c.fleet]),
    [
      ['c1', true],
      ['c2', false],
    ],
  );

  // the dashboard's scan page lists them, and marks the fleet's hosts
  const { viewer } = await addAccounts(db, 'Fleet-Dashboard-24!');
  const serve = await startServe(`${NET}.1`, ['--db', db]);
  try {
    const page = await serve.api(`/scans/${encodeURIComponent(summary.scanId)}?host=${NET}.11`, { token: viewer });
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(
      html,
      /<li data-cluster="c1"><b>c1<\/b>: 6 hosts, same association, data — <em>fleet, judged honeypots<\/em>/,
    );
    assert.match(
      html,
      /<li data-cluster="c2"><b>c2<\/b>: 2 hosts, same association, data, web \(127\.0\.103\.3, 127\.0\.103\.4\)/,
    );
    assert.match(html, /<em>\(suspected honeypot\)<\/em> <small>cluster c1<\/small>/);
    assert.match(html, new RegExp(`<b>${want.single.patients + 2 * want.mirror.patients}</b> patients`));
  } finally {
    await serve.stop();
  }
});

test('the same fleet probed by two workers (each with its own counting key): judged when the last slice ends', async (t) => {
  const server = await startPostgres(`${NET}.100`);
  t.after(() => server.stop());
  const db = await server.database();
  const started: ChildProcess[] = [];
  t.after(() => {
    for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  const worker = (extra: string[]) => {
    const child = startCli(['worker', '--db', db, '-v', ...extra]);
    started.push(child);
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    return { exited, stderr: () => stderr, stop: () => child.kill('SIGTERM') };
  };
  // the first worker takes one slice, finishes it and exits
  const first = worker(['--max-slices', '1']);
  const q = await runCli([
    'scan',
    RANGE,
    '-p',
    '4242,8042,11112',
    '--timeout',
    '1500',
    '--seed',
    '24',
    '--db',
    db,
    '--enqueue',
    '--json',
  ]);
  assert.equal(q.code, 0, q.stderr);
  const { scanId, slices } = JSON.parse(q.stdout) as { scanId: string; slices: number };
  assert.ok(slices >= 2, `${slices} slices`);
  const store = await openStore(db);
  t.after(() => store.close());
  assert.equal(await first.exited, 0, first.stderr());
  const byFirst = (await store.clusters.prints(scanId)).map((p) => p.host);
  // a second process, with its own counting key, does the rest
  const second = worker(['--until-idle']);
  assert.equal(await second.exited, 0, second.stderr());
  assert.equal((await store.scan(scanId))?.status, 'done');
  const split = [FLEET.filter((h) => byFirst.includes(h)), FLEET.filter((h) => !byFirst.includes(h))];
  t.diagnostic(`fleet hosts probed by the first worker: ${split[0]?.join(' ')}; by the second: ${split[1]?.join(' ')}`);
  assert.ok(
    split.every((hosts) => hosts.length > 0),
    'the fleet was probed by both workers',
  );
  const summary = await store.summary(scanId);
  assert.deepEqual(summary.clusters, [
    { id: 'c1', size: 6, basis: ['association', 'data'], fleet: true },
    { id: 'c2', size: 2, basis: ['association', 'data', 'web'], fleet: false },
  ]);
  assert.equal(summary.patients, want.single.patients + 2 * want.mirror.patients);
  assert.deepEqual(summary.honeypots, { services: 6, patients: 18, studies: 18 });
  assert.deepEqual(await store.clusters.prints(scanId), []);
});

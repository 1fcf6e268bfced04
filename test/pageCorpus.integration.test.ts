/**
 * The corpus of patient-list fronts (test/harness/pageCorpus*.ts, each written from its product's
 * source or documentation), each served by a real HTTP server on loopback and scanned by the real
 * CLI: every list found, counted (patients, studies) and its PHI columns named; the tables of other
 * things and a token-guarded API rightly not; no patient value in anything written.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from './harness/cli.js';
import { conquest, dcm4chee2, dicoogle, type Fixture, orthancExplorer, pixelmed } from './harness/pageCorpus.js';
import {
  cards,
  divGrid,
  german,
  horos,
  inlineState,
  kheops,
  meddream,
  ohif,
  others,
  paged,
  queryLink,
  scriptJson,
} from './harness/pageCorpusWeb.js';
import { tempDir } from './harness/procs.js';
import { PHI_MARKER } from './harness/studies.js';

const CORPUS: Fixture[] = [
  pixelmed(),
  conquest(),
  dcm4chee2(),
  dicoogle(),
  orthancExplorer(),
  ohif(),
  kheops(),
  horos(),
  meddream(),
  scriptJson(),
  inlineState(),
  cards(),
  paged(),
  german(),
  queryLink(),
  divGrid(),
  others(),
];
const host = (i: number) => `127.0.124.${i + 1}`;
const servers: http.Server[] = [];
const requests = new Map<string, number>();

before(async () => {
  await Promise.all(
    CORPUS.map((f, i) => {
      const origin = `http://${host(i)}:8080`;
      const srv = http.createServer((req, res) => {
        requests.set(host(i), (requests.get(host(i)) ?? 0) + 1);
        const page = f.serve(new URL(req.url ?? '/', origin), origin);
        if (page === null) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        else res.writeHead(page.status ?? 200, { 'content-type': page.type }).end(page.body);
      });
      servers.push(srv);
      return new Promise<void>((r) => srv.listen(8080, host(i), () => r()));
    }),
  );
});
after(async () => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

interface Rec {
  type: string;
  host: string;
  http: { api: string | null } | null;
  exposure: { patients: number; studies: number; complete: boolean; phi: string[]; model: string } | null;
  findings: Array<{ id: string; severity: string }>;
}

test('the corpus: each product and intranet list found, counted, its PHI named; tables of other things are not; no value written', async (t) => {
  const db = path.join(tempDir('corpus'), 'c.db');
  const r = await runCli([
    'scan',
    `${host(0)}-${CORPUS.length}`,
    '-p',
    '8080',
    '--json',
    '--timeout',
    '1500',
    '--db',
    db,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const recs = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Rec)
    .filter((x) => x.type === 'service');
  const failures: string[] = [];
  CORPUS.forEach((f, i) => {
    const rec = recs.find((x) => x.host === host(i));
    const e = rec?.exposure ?? null;
    const got = e === null ? null : { patients: e.patients, studies: e.studies, phi: e.phi };
    t.diagnostic(`${f.name}: ${JSON.stringify(got)}, ${requests.get(host(i))} requests`);
    if (JSON.stringify(got) !== JSON.stringify(f.expect))
      failures.push(`${f.name} (${f.source}): expected ${JSON.stringify(f.expect)}, got ${JSON.stringify(got)}`);
    if (f.expect !== null) {
      if (rec?.http?.api !== 'patient-list') failures.push(`${f.name}: api ${rec?.http?.api}`);
      if (e?.model !== 'html-list' || e.complete !== true)
        failures.push(`${f.name}: ${e?.model} complete ${e?.complete}`);
      if (!rec?.findings.some((x) => x.id === 'http-patient-list' && x.severity === 'critical'))
        failures.push(`${f.name}: no critical http-patient-list finding`);
    } else if (rec?.http?.api === 'patient-list' || rec?.findings.some((x) => x.id === 'http-patient-list'))
      failures.push(`${f.name}: taken for a patient list`);
  });
  assert.deepEqual(failures, []);
  for (const [h, n] of requests) assert.ok(n <= 40, `${h}: ${n} requests`);
  const written = [
    r.stdout,
    r.stderr,
    ...[db, `${db}-wal`].filter(existsSync).map((f) => readFileSync(f).toString('latin1')),
  ];
  assert.ok(!written.some((w) => w.includes(PHI_MARKER)), 'no patient value in anything written');
});

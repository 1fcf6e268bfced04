/**
 * Web pages that list patients (served here in several layouts and languages): found, followed
 * within bounds, counted, classified critical; never a link that reads like a change; no value
 * in anything written.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from './harness/cli.js';
import { tempDir } from './harness/procs.js';
import { PHI_MARKER } from './harness/studies.js';

type Page = { type: string; body: string };
const servers: http.Server[] = [];
const hits = { delete: 0 };

function serve(host: string, pages: Record<string, Page>): Promise<void> {
  const srv = http.createServer((req, res) => {
    if ((req.url ?? '').startsWith('/delete')) hits.delete++;
    const p = pages[req.url ?? '/'];
    if (p === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': p.type }).end(p.body);
  });
  servers.push(srv);
  return new Promise((r) => srv.listen(8080, host, () => r()));
}

const html = (b: string): Page => ({
  type: 'text/html; charset=utf-8',
  body: `<html><head><title>PACS</title></head><body>${b}</body></html>`,
});
const table = (head: string[], rows: string[][]) =>
  `<table><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</table>`;
const person = (i: number) => [`${PHI_MARKER}^P${i}`, `ID${1000 + i}`, '19700101', '20260301', `ACC${i}`];

before(async () => {
  // English, three pages, each patient with one study; one link that would delete on GET
  const en = (from: number) =>
    table(
      ['Patient Name', 'Patient ID', 'Birth Date', 'Study Date', 'Accession #'.replace(' #', '')],
      [0, 1, 2, 3].map((k) => person(from + k)),
    );
  await serve('127.0.71.2', {
    '/': html(
      `${en(0)}<a href="/?page=2">next</a> <a href="/delete?id=1">delete</a> <a href="http://127.0.0.9/">elsewhere</a>`,
    ),
    '/?page=2': html(`${en(4)}<a href="/?page=3">next</a>`),
    '/?page=3': html(en(8)),
  });
  // French, two studies of one patient
  await serve('127.0.71.3', {
    '/': html(
      table(
        ['Nom du patient', 'IPP', 'Date de naissance', "Date de l'examen"],
        [
          [`${PHI_MARKER}^JEAN`, '77', '19500505', '20260101'],
          [`${PHI_MARKER}^JEAN`, '77', '19500505', '20260202'],
          [`${PHI_MARKER}^ANNE`, '78', '19600606', '20260101'],
        ],
      ),
    ),
  });
  // German: a landing page that links to a JSON list
  await serve('127.0.71.4', {
    '/': html('<h1>Radiologie – Patientenliste</h1><a href="/api/patienten">Liste</a>'),
    '/api/patienten': {
      type: 'application/json',
      body: JSON.stringify({
        patienten: [1, 2, 3, 4, 5].map((i) => ({
          Name: `${PHI_MARKER}^${i}`,
          PatientenId: `D${i}`,
          Geburtsdatum: '19800101',
        })),
      }),
    },
  });
  // a page that is not a listing
  await serve('127.0.71.5', { '/': html('<h1>Welcome</h1><p>Nothing here.</p>') });
});
after(async () => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

interface Rec {
  type: string;
  host: string;
  http: { api: string | null } | null;
  exposure: { patients: number; studies: number; complete: boolean; phi: string[]; model: string } | null;
  findings: Array<{ id: string; severity: string }>;
}

test('patient lists in three languages and layouts: found, counted, critical; no delete link followed; no value written', async () => {
  const r = await runCli([
    'scan',
    '127.0.71.2-5',
    '-p',
    '8080',
    '--json',
    '--debug',
    '--timeout',
    '1500',
    '--db',
    path.join(tempDir('lists'), 'l.db'),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const recs = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Rec)
    .filter((x) => x.type === 'service');
  const at = (host: string) => recs.find((x) => x.host === host);
  const counts = (host: string) => {
    const e = at(host)?.exposure;
    return e === null || e === undefined ? null : [e.patients, e.studies, e.complete, e.model];
  };
  assert.deepEqual(counts('127.0.71.2'), [12, 12, true, 'html-list']);
  assert.deepEqual(counts('127.0.71.3'), [2, 3, true, 'html-list']);
  assert.deepEqual(counts('127.0.71.4'), [5, 0, true, 'html-list']);
  assert.equal(at('127.0.71.5')?.exposure ?? null, null);
  // in the one PHI order every probe reports (src/probes/phi.ts)
  assert.deepEqual(at('127.0.71.2')?.exposure?.phi, [
    'PatientName',
    'PatientID',
    'PatientBirthDate',
    'AccessionNumber',
  ]);
  for (const h of ['127.0.71.2', '127.0.71.3', '127.0.71.4']) {
    assert.equal(at(h)?.http?.api, 'patient-list');
    assert.equal(at(h)?.findings[0]?.id, 'http-patient-list');
    assert.equal(at(h)?.findings[0]?.severity, 'critical');
  }
  assert.equal(hits.delete, 0, 'a link that reads like a change is never followed');
  assert.ok(!r.stdout.includes(PHI_MARKER) && !r.stderr.includes(PHI_MARKER), 'no patient value in anything written');
});

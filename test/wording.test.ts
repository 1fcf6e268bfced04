/**
 * One wording for one fact, in the CLI's summary, Markdown, HTML and the dashboard: instances shown
 * everywhere, retrieval "not tested" below --depth retrieve (0 would read as safe), the accepted AE as
 * "any called AE" (never the made-up title that proved it), "1 target"; a scan whose every target was
 * excluded says so and is not the overview's latest scan.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { ServiceRecord } from '../src/output/records.js';
import { renderTable } from '../src/output/table.js';
import { accessText, count, serviceLabel, targetsText } from '../src/output/wording.js';
import { letterMarkdown, letters } from '../src/report/letters.js';
import { noticeText } from '../src/notify/notices.js';
import { toHtml } from '../src/report/html.js';
import { buildModel } from '../src/report/model.js';
import { toMarkdown } from '../src/report/text.js';
import { overview } from '../src/serve/overview.js';
import type { Store } from '../src/store/store.js';
import { openStore } from '../src/store/open.js';
import { runCli } from './harness/cli.js';
import { startApp } from './harness/app.js';
import { exposure, finding, serviceRecord } from './harness/records.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'opendoor-wording-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** An archive that let a made-up called AE title in, 2 patients and 16 instances readable. */
const open = serviceRecord('127.0.0.7', 4242, {
  product: 'Orthanc',
  dicom: { calledAe: 'OPENDOOR-NOSUCH', anyCalledAe: true, echo: true, find: true } as ServiceRecord['dicom'],
  exposure: exposure(2, { instances: 16, linkedImages: 8 }),
  findings: [finding('dicom-open-query')],
});
const titled = serviceRecord('127.0.0.8', 104, {
  dicom: { calledAe: 'PACS', anyCalledAe: false } as ServiceRecord['dicom'],
});
const refused = serviceRecord('127.0.0.9', 104, {
  dicom: { calledAe: null, anyCalledAe: false } as ServiceRecord['dicom'],
});

async function scanIn(store: Store, id: string, depth: string, targets: number, records: ServiceRecord[]) {
  await store.beginScan(id, { targets: ['127.0.0.0/24'], depth });
  if (records.length > 0) await store.recordHost(id, records, null);
  await store.finishScan(id, 'done', targets, 5);
}

test('the words themselves', () => {
  assert.equal(count(1, 'target'), '1 target');
  assert.equal(count(2048, 'service'), '2,048 services');
  assert.equal(targetsText(1), '1 target');
  assert.equal(targetsText(0), '0 targets after exclusions');
  assert.equal(accessText(open), 'any called AE');
  assert.equal(accessText(titled), 'AE PACS');
  assert.equal(accessText(refused), 'refused');
});

test('one label for a service: the table, the reports, the letters, the feeds (IANA) and a notice (prose)', async () => {
  const tls = serviceRecord('127.0.0.7', 2762, { ...open, port: 2762, transport: 'tls' });
  const web = serviceRecord('127.0.0.7', 443, { protocol: 'http', transport: 'tls' });
  assert.equal(serviceLabel(open), 'dicom');
  assert.equal(serviceLabel(tls), 'dicom/tls');
  assert.equal(serviceLabel(web), 'http/tls');
  assert.deepEqual(
    [open, tls, web, serviceRecord('h', 1, { protocol: 'unknown' })].map((s) => serviceLabel(s, 'iana')),
    ['dicom', 'dicom-tls', 'https', null],
  );
  assert.equal(serviceLabel(tls, 'prose'), 'DICOM, the protocol of medical imaging over TLS');
  const store = await openStore(path.join(tmp, 'label.db'));
  try {
    await scanIn(store, 'label-1', 'count', 1, [tls]);
    const m = await buildModel(store, 'label-1');
    assert.ok(m !== null);
    assert.match(toHtml(m), /<td>dicom\/tls<\/td>/);
    assert.match(toMarkdown(m), /\| 2762 \| dicom\/tls \|/);
    assert.match(renderTable([tls], await store.summary('label-1')), / dicom\/tls /);
    const [letter] = letters(m, []);
    assert.ok(letter !== undefined);
    assert.match(letterMarkdown(letter, 'label-1'), /127\.0\.0\.7:2762 \(dicom\/tls, Orthanc\)/);
    const draft = { contact: 'abuse@example.net', services: [{ record: tls, findings: tls.findings }] };
    const notice = noticeText(draft, { ticket: 'T-1', campaign: 'c', from: 'me@example.org', scanFinished: null });
    assert.match(notice.text, /port 2762\/tcp \(DICOM, the protocol of medical imaging over TLS\)/);
  } finally {
    await store.close();
  }
});

test('HTML, Markdown and the CLI say the same: instances, retrieval not tested, any called AE', async () => {
  const store = await openStore(path.join(tmp, 'r.db'));
  try {
    await scanIn(store, 'count-1', 'count', 1, [open, titled, refused]);
    const m = await buildModel(store, 'count-1');
    assert.ok(m !== null);
    const html = toHtml(m);
    assert.match(html, /<div class="v" id="h-instances">16<\/div><div class="l">instances<\/div>/);
    assert.match(html, /<div class="v" id="h-linked">8<\/div>/);
    assert.match(html, /<div class="v" id="h-retrievable">not tested<\/div><div class="l">retrievable services<\/div>/);
    assert.match(html, /<td>any called AE<\/td>/);
    assert.match(html, /<td>AE PACS<\/td>/);
    assert.match(html, /, 1 target\./);
    assert.ok(!html.includes('OPENDOOR-NOSUCH'), 'the made-up title is evidence, not the access');
    const md = toMarkdown(m);
    assert.match(md, /\| 3 \| 1 \| 2 \| 4 \| 16 \| 8 \| not tested \|/);
    assert.match(md, /\| any called AE \|/);
    assert.doesNotMatch(md, /AE \(any\)/);
    const table = renderTable([open], await store.summary('count-1'));
    assert.match(table, /any called AE; echo,find/);
    assert.match(
      table,
      /: 1 target, 3 services, 1 exposed; readable by strangers: 2 patients, 4 studies, 16 instances/,
    );
    // at --depth retrieve the figure is a measurement, 0 included
    await scanIn(store, 'retrieve-1', 'retrieve', 3, [titled]);
    const r = await buildModel(store, 'retrieve-1');
    assert.ok(r !== null);
    assert.match(toHtml(r), /id="h-retrievable">0<\/div>/);
    assert.match(toMarkdown(r), /\| 0 \|\n/);
  } finally {
    await store.close();
  }
});

test('every target excluded: "0 targets after exclusions", exit 0, and the overview keeps the scan that probed', async () => {
  const db = path.join(tmp, 'x.db');
  const r = await runCli(['scan', '127.0.0.1', '--exclude', '127.0.0.0/8', '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /: 0 targets after exclusions, 0 services, 0 exposed/);
  assert.match(r.stderr, /nothing to scan: every target is excluded/);
  const store = await openStore(path.join(tmp, 'o.db'));
  try {
    await scanIn(store, 'a-probed', 'count', 1, [open]);
    await scanIn(store, 'b-excluded', 'count', 0, []);
    const o = await overview(store);
    assert.equal(o.latest?.id, 'a-probed');
    assert.deepEqual(
      o.trend.map((t) => t.id),
      ['a-probed'],
    );
  } finally {
    await store.close();
  }
});

test('the dashboard\'s scan and host pages say "any called AE" too, never the made-up title', async () => {
  const t = await startApp();
  try {
    for (const url of [`/scans/${t.scanId}`, '/hosts/127.0.0.7']) {
      const r = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${t.tokens.viewer}` } });
      assert.equal(r.statusCode, 200, url);
      assert.match(r.body, /<td>any called AE<\/td>/, url);
      assert.ok(!r.body.includes('OPENDOOR-NOSUCH'), url);
    }
  } finally {
    await t.close();
  }
});

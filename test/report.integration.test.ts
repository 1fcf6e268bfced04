/**
 * Reports, letters and diff after real scans: before and after fixing one server. The HTML report
 * is opened in Debian's Chromium (playwright-core): no console errors, the figures on the page are
 * the database's, and a screenshot is kept in artifacts/.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SummaryRecord } from '../src/output/records.js';
import { REPORT_FORMATS } from '../src/report/formats.js';
import { SHADOWSERVER_COLUMNS } from '../src/report/shadowserver.js';
import { launchChromium } from './harness/browser.js';
import { runCli } from './harness/cli.js';
import { FLEET, FLEET_RANGE, LOCKED_ORTHANC_DICOM, startFleet, type Fleet } from './harness/fleet.js';
import { csvObjects, errorsOf, intelmqValidator, parseCsv, stixErrors } from './harness/feeds.js';
import { removeDir, tempDir } from './harness/procs.js';
import { startOrthanc } from './harness/servers.js';
import { PHI_MARKER } from './harness/studies.js';

const ARTIFACTS = path.resolve('artifacts');
const SCAN = ['--depth', 'retrieve', '--timeout', '1500', '--json'];

function summaryOf(stdout: string): SummaryRecord {
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as SummaryRecord;
}

describe('reports, letters and diff', () => {
  let fleet: Fleet;
  let dir: string;
  let db: string;
  let before1: SummaryRecord;
  let after1: SummaryRecord;
  before(async () => {
    fleet = await startFleet();
    dir = tempDir('report');
    db = path.join(dir, 'r.db');
    const a = await runCli(['scan', FLEET_RANGE, ...SCAN, '--db', db]);
    assert.equal(a.code, 0, a.stderr);
    before1 = summaryOf(a.stdout);
    // the owner fixes the open Orthanc: authentication on the web side, known peers only on the DICOM side
    const open = fleet.servers.find((s) => s.host === FLEET.orthancOpen);
    await open?.stop();
    fleet.servers.splice(fleet.servers.indexOf(open as never), 1);
    fleet.servers.push(
      await startOrthanc({
        host: FLEET.orthancOpen,
        files: fleet.archive.files,
        credentials: { user: 'it', password: 'Fixed-Now-7' },
        config: { ...LOCKED_ORTHANC_DICOM, AuthenticationEnabled: true, RegisteredUsers: { it: 'Fixed-Now-7' } },
      }),
    );
    const b = await runCli(['scan', FLEET_RANGE, ...SCAN, '--db', db]);
    assert.equal(b.code, 0, b.stderr);
    after1 = summaryOf(b.stdout);
  });
  after(async () => {
    await fleet?.stop();
    if (dir !== undefined) removeDir(dir);
  });

  test('scans lists both, with the figures of their summaries', async () => {
    const r = await runCli(['scans', '--db', db, '--json']);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; services: number; exposed: number; patients: number });
    assert.deepEqual(
      rows.map((x) => x.id),
      [before1.scanId, after1.scanId],
    );
    assert.deepEqual(
      rows.map((x) => [x.services, x.exposed, x.patients]),
      [before1, after1].map((s) => [s.services, s.exposedServices, s.patients]),
    );
  });

  test('diff: the fixed Orthanc shows as fixed, nothing new', async () => {
    const r = await runCli(['diff', before1.scanId, after1.scanId, '--db', db, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const d = JSON.parse(r.stdout) as {
      new: unknown[];
      fixed: Array<{ host: string; port: number }>;
      changed: Array<{ host: string; changes: string[] }>;
    };
    assert.deepEqual(d.new, []);
    assert.deepEqual(d.fixed.map((f) => `${f.host}:${f.port}`).sort(), [
      `${FLEET.orthancOpen}:4242`,
      `${FLEET.orthancOpen}:8042`,
    ]);
    const text = await runCli(['diff', before1.scanId, after1.scanId, '--db', db]);
    assert.match(text.stdout, /FIXED \(2\)/);
  });

  test('md, csv and json reports carry the database figures', async () => {
    const md = await runCli(['report', before1.scanId, '--db', db, '--format', 'md']);
    assert.match(
      md.stdout,
      new RegExp(
        `\\| ${before1.services} \\| ${before1.exposedServices} \\| ${before1.patients} \\| ${before1.studies} \\|`,
      ),
    );
    assert.match(md.stdout, /DicomAlwaysAllowFind|AuthenticationEnabled/);
    const json = JSON.parse((await runCli(['report', before1.scanId, '--db', db, '--format', 'json'])).stdout) as {
      headline: { patients: number; studies: number };
    };
    assert.deepEqual([json.headline.patients, json.headline.studies], [before1.patients, before1.studies]);
    const csv = (await runCli(['report', before1.scanId, '--db', db, '--format', 'csv'])).stdout.trim().split('\n');
    assert.equal(csv.filter((l) => l.startsWith('service,')).length, before1.services);
    assert.ok(csv.some((l) => l.startsWith('finding,') && l.includes('dicom-open-query')));
    assert.ok(
      csv.every((l) => l.includes(',local,') || l.startsWith('kind,')),
      'loopback addresses are "local"',
    );
  });

  test('feeds of the real scan: IntelMQ harmonization, Shadowserver layout, OASIS STIX; each twice the same', async () => {
    const feed = async (format: string) => {
      const a = await runCli(['report', before1.scanId, '--db', db, '--format', format]);
      const b = await runCli(['report', before1.scanId, '--db', db, '--format', format]);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(a.stdout, b.stdout, `${format}: two exports of one scan are byte-equal`);
      return a.stdout;
    };
    const events = (await feed('intelmq'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const validate = intelmqValidator();
    for (const e of events) assert.ok(validate(e), errorsOf(validate));
    const open = events.find((e) => e['source.ip'] === FLEET.orthancOpen && e['source.port'] === 4242);
    assert.equal(open?.['classification.identifier'], 'dicom-open-query');
    assert.equal(open?.['classification.type'], 'information-disclosure');
    assert.equal(open?.['protocol.application'], 'dicom');
    assert.ok(Number(open?.['extra.patients']) > 0);
    assert.ok(((open?.['extra.phi_attributes'] ?? []) as string[]).includes('PatientName'));
    assert.ok(events.length >= before1.exposedServices, 'every exposed service is an event');
    const csv = await feed('shadowserver');
    assert.deepEqual(parseCsv(csv)[0], [...SHADOWSERVER_COLUMNS]);
    const rows = csvObjects(csv);
    assert.deepEqual(
      rows.map((r) => `${r.ip}:${r.port}`),
      events.map((e) => `${e['source.ip']}:${e['source.port']}`),
      'one row a service, as the events',
    );
    const bundle = JSON.parse(await feed('stix')) as { objects: Array<{ type: string }> };
    assert.deepEqual(stixErrors(bundle), []);
    assert.equal(bundle.objects.filter((o) => o.type === 'observed-data').length, events.length);
  });

  test('HTML report in Chromium: no console errors, figures equal the database, screenshot kept', async () => {
    const file = path.join(dir, 'report.html');
    const r = await runCli(['report', before1.scanId, '--db', db, '--format', 'html', '-o', file]);
    assert.equal(r.code, 0, r.stderr);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('request', (req) => {
        if (!req.url().startsWith('file:')) problems.push(`network request ${req.url()}`);
      });
      await page.goto(`file://${file}`);
      const num = async (sel: string) => Number((await page.textContent(sel))?.replace(/,/g, ''));
      assert.equal(await num('#h-services'), before1.services);
      assert.equal(await num('#h-exposed'), before1.exposedServices);
      assert.equal(await num('#h-patients'), before1.patients);
      assert.equal(await num('#h-studies'), before1.studies);
      assert.ok((await num('#h-retrievable')) >= 1);
      assert.equal(await page.locator('#services tbody tr').count(), before1.services);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, 'report.png'), fullPage: true });
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  });

  test('letters: one per owner, data subjects and categories, fixes; no marker in any report', async () => {
    const owners = path.join(dir, 'owners.txt');
    writeFileSync(owners, '# scope, organisation, contact\n127.0.77.0/28, Example Imaging Centre, dpo@example.org\n');
    const out = path.join(dir, 'letters');
    const r = await runCli(['letters', before1.scanId, '--db', db, '--owners', owners, '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    const files = readdirSync(out);
    assert.deepEqual(files, ['example-imaging-centre.md']);
    const letter = readFileSync(path.join(out, files[0] ?? ''), 'utf8');
    assert.match(letter, /dpo@example\.org/);
    assert.match(letter, new RegExp(`data subjects whose records can be read: ${before1.patients}`));
    assert.match(letter, /PatientName/);
    const html = await runCli([
      'letters',
      before1.scanId,
      '--db',
      db,
      '-o',
      path.join(dir, 'letters-html'),
      '--format',
      'html',
    ]);
    assert.equal(html.code, 0);
    const everything = [
      letter,
      ...readdirSync(path.join(dir, 'letters-html')).map((f) =>
        readFileSync(path.join(dir, 'letters-html', f), 'utf8'),
      ),
    ];
    const reports: string[] = [];
    for (const f of REPORT_FORMATS) {
      const extra = f.honeypotOption ? ['--include-honeypots'] : [];
      reports.push((await runCli(['report', before1.scanId, '--db', db, '--format', f.name, ...extra])).stdout);
    }
    assert.ok(
      reports.every((t) => t.length > 0),
      'every format wrote something',
    );
    everything.push(...reports);
    assert.ok(everything.every((t) => !t.includes(PHI_MARKER)));
    const bad = await runCli(['letters', '--db', db, '--owners', owners.replace('owners', 'nope'), '-o', out]);
    assert.equal(bad.code, 2);
  });
});

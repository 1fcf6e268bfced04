/**
 * Not one byte of PHI kept: the synthetic studies carry a marker in every identifying field; full
 * scans at every depth, with every output and debug logs, error paths, and notices (.eml, decoded) are searched for it.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPORT_FORMATS } from '../src/report/formats.js';
import { runCli, type CliRun } from './harness/cli.js';
import { FLEET_RANGE, startFleet, type Fleet } from './harness/fleet.js';
import { removeDir, tempDir } from './harness/procs.js';
import { parseEml } from './harness/smtp.js';
import { PHI_MARKER } from './harness/studies.js';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('PHI marker', () => {
  let fleet: Fleet;
  let work: string;
  const runs: CliRun[] = [];
  before(async () => {
    fleet = await startFleet();
    work = tempDir('phi');
  });
  after(async () => {
    await fleet?.stop();
    if (work !== undefined) removeDir(work);
  });

  test('the marker is really served by the archives (the search below means something)', async () => {
    const r = await fetch('http://127.0.77.2:8042/patients?expand');
    assert.match(await r.text(), new RegExp(PHI_MARKER));
  });

  test('scans at every depth, every output, debug logs and error paths write the marker nowhere', async () => {
    const env = {
      TMPDIR: path.join(work, 'tmp'),
      HOME: path.join(work, 'home'),
      XDG_DATA_HOME: path.join(work, 'data'),
    };
    for (const dir of Object.values(env)) mkdirSync(dir, { recursive: true });
    const variants: string[][] = [
      ['--depth', 'detect'],
      ['--depth', 'access'],
      ['--depth', 'count'],
      ['--depth', 'retrieve'],
      ['--depth', 'retrieve', '--max-queries', '2'], // the bound path
      ['--depth', 'retrieve', '--timeout', '60'], // timeouts everywhere
    ];
    let sawPhi = 0;
    for (const [i, v] of variants.entries()) {
      const out = path.join(work, `out-${i}.jsonl`);
      const r = await runCli(
        ['scan', FLEET_RANGE, '--json', '-o', out, '--debug', '--timeout', '1500', ...v],
        undefined,
        env,
      );
      assert.equal(r.code, 0, r.stderr);
      runs.push(r);
      sawPhi += (r.stdout.match(/"phi":\["Patient/g) ?? []).length;
      const human = await runCli(['scan', FLEET_RANGE, '-v', '--timeout', '1500', ...v], undefined, env);
      runs.push(human);
    }
    assert.ok(sawPhi > 0, 'the scans did read identifying attributes');
    // every report format of the last scan (the feeds with honeypots kept too), into files searched below
    for (const f of REPORT_FORMATS)
      for (const extra of f.honeypotOption ? [[], ['--include-honeypots']] : [[]]) {
        const file = path.join(work, `report-${f.name}${extra.length > 0 ? '-all' : ''}.${f.extension}`);
        const r = await runCli(['report', '--format', f.name, '-o', file, ...extra], undefined, env);
        assert.equal(r.code, 0, r.stderr);
        assert.ok(statSync(file).size > 0, file);
        runs.push(r);
      }
    // notices of the last scan: a dry run with every notice as an .eml (decoded too: the CSV is base64)
    const contacts = path.join(work, 'contacts.txt');
    writeFileSync(contacts, '127.0.77.0/24 pacs@hospital.test Test Hospital\n');
    const eml = path.join(work, 'notices');
    const notify = await runCli(['notify', '--campaign', 'phi', '--contacts', contacts, '-o', eml], undefined, env);
    assert.equal(notify.code, 0, notify.stderr);
    runs.push(notify);
    const notices = readdirSync(eml);
    assert.ok(notices.length > 0, 'notices written');
    for (const f of notices)
      writeFileSync(path.join(work, `${f}.decoded.json`), JSON.stringify(parseEml(path.join(eml, f))));
    const written = [
      ...runs.flatMap((r) => [r.stdout, r.stderr]),
      ...filesUnder(work).map((f) => readFileSync(f, 'latin1')),
    ];
    const hits = written.filter((text) => text.toUpperCase().includes(PHI_MARKER));
    assert.equal(hits.length, 0, `marker found in ${hits.length} outputs`);
  });
});

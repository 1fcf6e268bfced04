/**
 * Honeypots: personas scripted from dicompot, DICOMHawk and qeeqbox/honeypots are flagged with
 * their reasons, their canned patients are in no total, and the judgement itself from saved tells.
 * That no real server is ever flagged is asserted where the real fleet is scanned
 * (scan.integration.test.ts, count.integration.test.ts).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { isUnder } from '../src/dicom/uids.js';
import { judgeHost } from '../src/fingerprint/honeypot.js';
import { isCanned } from '../src/probes/dicom/canned.js';
import { runCli } from './harness/cli.js';
import { DICOMHAWK, DICOMPOT, QEEQBOX, startPersona } from './harness/personas.js';
import { tempDir } from './harness/procs.js';

const HOSTS = { dicompot: '127.0.74.2', dicomhawk: '127.0.74.3', qeeqbox: '127.0.74.4' };
const stops: Array<() => Promise<void>> = [];
before(async () => {
  for (const [name, persona] of [
    ['dicompot', DICOMPOT],
    ['dicomhawk', DICOMHAWK],
    ['qeeqbox', QEEQBOX],
  ] as const) {
    stops.push((await startPersona(HOSTS[name], 11112, persona)).stop);
  }
});
after(async () => Promise.all(stops.map((s) => s())));

interface Rec {
  type: string;
  host: string;
  product: string | null;
  fingerprint: { basis: string | null; contradiction: string | null };
  honeypot: { suspect: boolean; reasons: string[] };
  dicom: { honeypotSuspect: boolean } | null;
  exposure: { patients: number; cannedStudies: number } | null;
  findings: Array<{ id: string; evidence: string }>;
  patients: number;
  honeypots: { services: number; patients: number; studies: number };
}

test('three honeypot personas: flagged with their tells, their bait in no total', async () => {
  const r = await runCli([
    'scan',
    ...Object.values(HOSTS),
    '-p',
    '11112',
    '--json',
    '--timeout',
    '1500',
    '--db',
    path.join(tempDir('honeypot'), 'h.db'),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const recs = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Rec);
  const by = (host: string): Rec => {
    const found = recs.find((x) => x.type === 'service' && x.host === host);
    assert.ok(found, host);
    return found;
  };
  const pot = by(HOSTS.dicompot);
  assert.equal(pot.honeypot.suspect, true);
  assert.deepEqual(pot.honeypot.reasons.slice(0, 2), ['no-implementation-class-uid', 'phantom-c-find-match']);
  assert.ok(pot.honeypot.reasons.includes('accepts-nonexistent-sop-class'));
  const hawk = by(HOSTS.dicomhawk);
  assert.equal(hawk.honeypot.suspect, true);
  assert.ok(hawk.honeypot.reasons.includes('persona-contradicted'), hawk.honeypot.reasons.join());
  assert.ok(hawk.honeypot.reasons.includes('canned-data'), hawk.honeypot.reasons.join());
  assert.equal(hawk.product, null, 'a contradicted persona names no product');
  assert.match(hawk.fingerprint.contradiction ?? '', /ORTHANC/);
  const qeeq = by(HOSTS.qeeqbox);
  assert.equal(qeeq.honeypot.suspect, true);
  assert.ok(
    qeeq.honeypot.reasons.includes('phantom-c-find-match') && qeeq.honeypot.reasons.includes('canned-data'),
    qeeq.honeypot.reasons.join(),
  );
  for (const x of [pot, hawk, qeeq]) {
    assert.deepEqual(
      x.findings.map((f) => f.id),
      ['honeypot-suspected'],
    );
    assert.equal(x.dicom?.honeypotSuspect, true);
    assert.ok((x.exposure?.patients ?? 0) > 0, 'the bait is still described in its own record');
  }
  const summary = recs.find((x) => x.type === 'summary');
  assert.equal(summary?.patients, 0, 'no canned patient in the headline total');
  assert.equal(summary?.honeypots.services, 3);
  assert.ok((summary?.honeypots.patients ?? 0) >= 3);
});

test('the judgement: strong tells alone suffice, a weak one needs company', () => {
  assert.deepEqual(judgeHost([['accepts-nonexistent-sop-class']]), {
    suspect: false,
    reasons: ['accepts-nonexistent-sop-class'],
  });
  assert.equal(judgeHost([['phantom-c-find-match']]).suspect, true);
  assert.equal(judgeHost([[], ['canned-data']]).suspect, true, 'one service of a host tells for the host');
  assert.deepEqual(judgeHost([['accepts-nonexistent-sop-class'], ['no-implementation-class-uid']]).reasons, [
    'no-implementation-class-uid',
    'accepts-nonexistent-sop-class',
  ]);
  assert.deepEqual(judgeHost([]), { suspect: false, reasons: [] });
});

test('canned data: UID roots on component boundaries (isUnder, dicom/uids.ts), the sample patient however padded', () => {
  assert.equal(isUnder('1.2.3', '1.2.3'), true);
  assert.equal(isUnder('1.2.3.4', '1.2.3'), true);
  assert.equal(isUnder('1.2.34', '1.2.3'), false);
  assert.equal(isCanned('1.3.6.1.4.1.14519.5.2.1.6279.1', 'P1'), true);
  assert.equal(isCanned('1.3.6.1.4.1.14519.5.2.10', 'P1'), false);
  assert.equal(isCanned('1.2.840.1', ' 1CT1 '), true);
  assert.equal(isCanned('1.2.840.1', 'P1'), false);
});

/**
 * Stacks beyond dcmtk and Orthanc, run for real: Odil (Debian's python3-odil) and dcmjs-dimse's SCP
 * (npm), each identified from its own association (implementation UID, version name, PDU length),
 * with what the identity rests on, and neither taken for a honeypot.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli, serviceRecords } from './harness/cli.js';
import { SOURCE_DIR, startPinned, tempDir, type Running } from './harness/procs.js';

const ODIL = '127.0.70.2';
const DIMSE = '127.0.70.3';
const running: Running[] = [];
before(async () => {
  running.push(await startPinned('/usr/bin/python3', [path.join(SOURCE_DIR, 'odil_scp.py'), '11112'], ODIL, [11112]));
  const scp = path.join(path.dirname(fileURLToPath(import.meta.url)), 'harness', 'dcmjsDimseScp.js');
  running.push(await startPinned(process.execPath, [scp, '11112'], DIMSE, [11112]));
});
after(async () => Promise.all(running.map((r) => r.stop())));

test('Odil and dcmjs-dimse, real servers: identified from their associations, not honeypots', async () => {
  const r = await runCli([
    'scan',
    ODIL,
    DIMSE,
    '-p',
    '11112',
    '--json',
    '--depth',
    'access',
    '--timeout',
    '2000',
    '--db',
    path.join(tempDir('stacks'), 's.db'),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const recs = serviceRecords(r.stdout);
  const at = (host: string) => recs.find((x) => x.host === host);
  const odil = at(ODIL);
  assert.equal(odil?.dicom?.toolkit, 'Odil');
  assert.match(odil?.dicom?.implementationClassUid ?? '', /^1\.2\.826\.0\.1\.3680043\.9\.55600\./);
  assert.deepEqual(odil?.fingerprint, { basis: 'association', confidence: 'high', contradiction: null });
  const dimse = at(DIMSE);
  assert.equal(dimse?.dicom?.toolkit, 'dcmjs-dimse');
  // its AC answered our own 64 KiB maximum (fingerprints.md gives 262144 as its default)
  assert.equal(dimse?.dicom?.maxPduLength, 65536);
  assert.deepEqual(dimse?.fingerprint, { basis: 'association', confidence: 'high', contradiction: null });
  assert.equal(dimse?.dicom?.echo, true);
  for (const x of [odil, dimse])
    assert.equal(x?.honeypot?.suspect, false, `${x?.host}: ${x?.honeypot?.reasons.join(',')}`);
});

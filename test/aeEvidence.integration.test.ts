/**
 * AE titles from evidence: an Orthanc whose called AE title is in no dictionary, but whose REST API
 * tells it (/system DicomAet), is entered through its DICOM port and counted; the record says where
 * the title came from.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { ServiceRecord } from '../src/output/records.js';
import { runCli } from './harness/cli.js';
import { removeDir, tempDir } from './harness/procs.js';
import { startOrthanc, type TestServer } from './harness/servers.js';
import { makeArchive } from './harness/studies.js';

const HOST = '127.0.72.2';
let server: TestServer;
let dir: string;
before(async () => {
  dir = tempDir('ae-evidence');
  const archive = makeArchive(dir, { patients: 2, studiesPerPatient: 1, seriesPerStudy: 1, instancesPerSeries: 1 });
  server = await startOrthanc({
    host: HOST,
    aet: 'RADIOLOGY_7',
    files: archive.files,
    config: { DicomCheckCalledAet: true, DicomAlwaysAllowFind: true, DicomAlwaysAllowGet: true },
  });
});
after(async () => {
  await server?.stop();
  removeDir(dir);
});

test('a called AE title in no dictionary, told by the host’s REST API: found, counted, its source named', async () => {
  const r = await runCli([
    'scan',
    HOST,
    '-p',
    '4242,8042',
    '--json',
    '--timeout',
    '2000',
    '--db',
    path.join(dir, 'a.db'),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const dicom = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ServiceRecord)
    .find((x) => x.type === 'service' && x.port === 4242);
  assert.ok(dicom?.dicom);
  assert.equal(dicom.dicom.calledAe, 'RADIOLOGY_7');
  assert.equal(dicom.dicom.calledAeSource, 'orthanc-system');
  assert.equal(dicom.exposure?.studies, 2);
  assert.equal(dicom.product, 'Orthanc');
});

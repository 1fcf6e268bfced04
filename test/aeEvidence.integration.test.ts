/**
 * AE titles from evidence: an Orthanc whose called AE title is in no dictionary, but whose REST API
 * tells it (/system DicomAet), is entered through its DICOM port and counted; the record says where
 * the title came from. The same through dcm4chee-arc's AE list (/dcm4chee-arc/aets, its JSON as
 * dcm4che writes it) in front of a real archive whose DICOMweb root is that AE's.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCli, serviceRecords } from './harness/cli.js';
import { removeDir, tempDir } from './harness/procs.js';
import { startOrthanc, type TestServer } from './harness/servers.js';
import { startProxy, type WebPeer } from './harness/web.js';
import { makeArchive } from './harness/studies.js';

const HOST = '127.0.72.2';
const DCM4CHEE = '127.0.72.3';
const ARC_AET = 'ARCHIVE_7';
const servers: Array<TestServer | WebPeer> = [];
let dir: string;
before(async () => {
  dir = tempDir('ae-evidence');
  const archive = makeArchive(dir, { patients: 2, studiesPerPatient: 1, seriesPerStudy: 1, instancesPerSeries: 1 });
  const config = { DicomCheckCalledAet: true, DicomAlwaysAllowFind: true, DicomAlwaysAllowGet: true };
  servers.push(await startOrthanc({ host: HOST, aet: 'RADIOLOGY_7', files: archive.files, config }));
  // an archive that serves DICOMweb at dcm4chee-arc's path for its AE, behind a front that answers
  // the AE list as dcm4chee-arc does (dcm4che JsonConfiguration.writeTo(ApplicationEntityInfo))
  const root = `/dcm4chee-arc/aets/${ARC_AET}/rs`;
  servers.push(
    await startOrthanc({
      host: DCM4CHEE,
      aet: ARC_AET,
      files: archive.files,
      dicomWeb: true,
      config: { ...config, DicomWeb: { Enable: true, Root: `${root}/` } },
    }),
  );
  const aes = [ARC_AET, `${ARC_AET}_TRASH`].map((t) => ({
    dicomDeviceName: 'dcm4chee-arc',
    dicomAETitle: t,
    dicomDescription: 'Archive',
    dicomAssociationInitiator: true,
    dicomAssociationAcceptor: true,
  }));
  servers.push(
    await startProxy(DCM4CHEE, 8080, { host: DCM4CHEE, port: 8042 }, root, undefined, {
      '/dcm4chee-arc/aets': { type: 'application/json', body: JSON.stringify(aes) },
    }),
  );
});
after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
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
  const dicom = serviceRecords(r.stdout).find((x) => x.port === 4242);
  assert.ok(dicom?.dicom);
  assert.equal(dicom.dicom.calledAe, 'RADIOLOGY_7');
  assert.equal(dicom.dicom.calledAeSource, 'orthanc-system');
  assert.equal(dicom.exposure?.studies, 2);
  assert.equal(dicom.product, 'Orthanc');
});

test('dcm4chee-arc’s AE list: the archive’s titles tried on its DICOM port (source named), counted through that AE’s DICOMweb root', async () => {
  const r = await runCli([
    'scan',
    DCM4CHEE,
    '-p',
    '4242,8080',
    '--json',
    '--depth',
    'retrieve',
    '--timeout',
    '2000',
    '--db',
    path.join(dir, 'd.db'),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const recs = serviceRecords(r.stdout);
  const web = recs.find((x) => x.port === 8080);
  assert.equal(web?.http?.api, 'dcm4chee-arc');
  assert.deepEqual(web?.http?.aeTitles, [ARC_AET, `${ARC_AET}_TRASH`]);
  assert.equal(web?.http?.aeTitlesFrom, 'dcm4chee-arc-aets');
  assert.equal(web?.http?.dicomweb, `/dcm4chee-arc/aets/${ARC_AET}/rs`);
  assert.equal(web?.exposure?.model, 'qido-rs');
  assert.equal(web?.exposure?.studies, 2);
  assert.equal(web?.http?.retrieve, true);
  const dicom = recs.find((x) => x.port === 4242);
  assert.equal(dicom?.dicom?.calledAe, ARC_AET);
  assert.equal(dicom?.dicom?.calledAeSource, 'dcm4chee-arc-aets');
  assert.equal(dicom?.exposure?.studies, 2);
});

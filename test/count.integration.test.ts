/**
 * Exposure counts against real archives: exact patients/studies/series/instances, PHI categories by
 * name, a server whose C-FIND answers are capped below its size, and the retrieval proof.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { probeService } from '../src/probes/service.js';
import { silentLogger } from '../src/util/log.js';
import { OPEN_ORTHANC } from './harness/fleet.js';
import { removeDir, tempDir } from './harness/procs.js';
import { startDcmqrscp, startOrthanc, type TestServer } from './harness/servers.js';
import { makeArchive, type Archive } from './harness/studies.js';

const HOSTS = { orthanc: '127.0.80.2', capped: '127.0.80.3', qr: '127.0.80.4', noGet: '127.0.80.5' };
const opts = {
  timeoutMs: 2000,
  depth: 'retrieve' as const,
  aeTitles: [],
  maxQueries: 500,
  countBudgetMs: 60000,
  log: silentLogger,
  throttle: async () => undefined,
};
const EXPECTED_PHI = [
  'PatientName',
  'PatientID',
  'PatientBirthDate',
  'PatientSex',
  'AccessionNumber',
  'ReferringPhysicianName',
];

describe('exposure counts on real archives', () => {
  let archive: Archive;
  let dir: string;
  const servers: TestServer[] = [];
  before(async () => {
    dir = tempDir('count');
    archive = makeArchive(dir, { patients: 5, studiesPerPatient: 3, seriesPerStudy: 2, instancesPerSeries: 2 });
    servers.push(
      ...(await Promise.all([
        startOrthanc({ host: HOSTS.orthanc, files: archive.files, config: OPEN_ORTHANC }),
        startOrthanc({ host: HOSTS.capped, files: archive.files, config: { ...OPEN_ORTHANC, LimitFindResults: 4 } }),
        startDcmqrscp({ host: HOSTS.qr, aet: 'ARCHIVE', peers: 'ANY', files: archive.files }),
        startOrthanc({
          host: HOSTS.noGet,
          files: archive.files,
          config: { ...OPEN_ORTHANC, DicomAlwaysAllowGet: false },
        }),
      ])),
    );
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    removeDir(dir);
  });

  const exact = (e: { patients: number; studies: number; series: number; instances: number } | null | undefined) => {
    assert.ok(e);
    assert.deepEqual(
      [e.patients, e.studies, e.series, e.instances],
      [archive.patients, archive.studies, archive.series, archive.instances],
    );
  };

  test('Orthanc: exact counts, PHI categories by name, retrieval proven', async () => {
    const r = await probeService(HOSTS.orthanc, 4242, opts);
    exact(r.observation.exposure);
    assert.equal(r.observation.exposure?.complete, true);
    assert.equal(r.observation.exposure?.capped, false);
    assert.equal(r.observation.exposure?.linkedImages, archive.instances);
    for (const name of EXPECTED_PHI) assert.ok(r.observation.exposure?.phi.includes(name), name);
    assert.equal(r.observation.dicom?.retrieve, true);
    // a real archive: no phantom match for a study that cannot exist, no canned data
    assert.equal(r.observation.dicom?.phantomMatches, 0);
    assert.equal(r.observation.exposure?.cannedStudies, 0);
  });

  test('Orthanc with LimitFindResults 4 below 15 studies: capped, split, still exact', async () => {
    const r = await probeService(HOSTS.capped, 4242, opts);
    exact(r.observation.exposure);
    assert.equal(r.observation.exposure?.capped, true);
    assert.equal(r.observation.exposure?.complete, true);
  });

  test('dcmqrscp: exact counts through the SERIES/IMAGE fallback, retrieval proven', async () => {
    const r = await probeService(HOSTS.qr, 11112, opts);
    exact(r.observation.exposure);
    assert.equal(r.observation.exposure?.complete, true);
    assert.equal(r.observation.dicom?.retrieve, true);
  });

  test('Orthanc that answers C-FIND but refuses C-GET: counted, retrieval refused', async () => {
    const r = await probeService(HOSTS.noGet, 4242, opts);
    exact(r.observation.exposure);
    assert.equal(r.observation.dicom?.retrieve, false);
  });

  test('--max-queries bounds the count and says so', async () => {
    const r = await probeService(HOSTS.capped, 4242, { ...opts, depth: 'count', maxQueries: 2 });
    assert.equal(r.observation.exposure?.complete, false);
    assert.match(r.observation.exposure?.incompleteReason ?? '', /--max-queries 2/);
    assert.equal(r.observation.dicom?.retrieve, null);
  });
});

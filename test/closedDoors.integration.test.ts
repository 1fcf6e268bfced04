/**
 * Closed doors and default titles on real servers: a dcmqrscp configured as its shipped sample
 * (AE COMMON, open to any peer) and PixelMed's SCP with its command line's default title (Debian's
 * libpixelmed-java) entered through the dictionary; an Orthanc, a dcmjs-dimse SCP and a PixelMed
 * SCP that know only their own titles refuse as the rows of src/fingerprint/rejection.ts say, and
 * — their profiles being other stacks' too — are named nothing.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { identifyHost } from '../src/fingerprint/host.js';
import { REJECTION_ROWS, profilesOf, toolkitFromRejections } from '../src/fingerprint/rejection.js';
import type { ServiceObservation } from '../src/probes/types.js';
import { probeService } from '../src/probes/service.js';
import { silentLogger } from '../src/util/log.js';
import { startPinned, tempDir, type Running } from './harness/procs.js';
import { startDcmqrscp, startOrthanc, type TestServer } from './harness/servers.js';

const ORTHANC = '127.0.90.2';
const SAMPLE_QR = '127.0.90.3';
const DIMSE = '127.0.90.4';
const PIXELMED = '127.0.90.5';
const PIXELMED_DEFAULT = '127.0.90.6';
const pixelmed = (aet: string) => [
  '-cp',
  '/usr/share/java/pixelmed.jar',
  'com.pixelmed.network.StorageSOPClassSCPDispatcher',
  '11112',
  aet,
  tempDir('pixelmed'),
];
const running: Array<TestServer | Running> = [];
before(async () => {
  running.push(await startOrthanc({ host: ORTHANC, aet: 'RADIOLOGY_9' }));
  running.push(await startDcmqrscp({ host: SAMPLE_QR, aet: 'COMMON', peers: 'ANY' }));
  const scp = path.join(path.dirname(fileURLToPath(import.meta.url)), 'harness', 'dcmjsDimseScp.js');
  running.push(await startPinned(process.execPath, [scp, '11112', 'SITE_9'], DIMSE, [11112]));
  running.push(await startPinned('/usr/bin/java', pixelmed('PIXEL_9'), PIXELMED, [11112]));
  running.push(await startPinned('/usr/bin/java', pixelmed('STORESCP'), PIXELMED_DEFAULT, [11112]));
});
after(async () => Promise.all(running.map((r) => r.stop())));

const opts = {
  timeoutMs: 2000,
  depth: 'access' as const,
  aeTitles: [],
  maxQueries: 10,
  countBudgetMs: 5000,
  log: silentLogger,
  throttle: async () => undefined,
};

const rowOf = (toolkit: string, stack: RegExp) => {
  const row = REJECTION_ROWS.find((r) => r.toolkit === toolkit && stack.test(r.stack));
  assert.ok(row, `${toolkit} row`);
  return row;
};
const identity = (o: ServiceObservation) => identifyHost([{ observation: o, httpProduct: null, httpVersion: null }])[0];

test('dcmqrscp as its sample configuration ships (AE COMMON, any peer): entered through the dictionary', async () => {
  const r = await probeService(SAMPLE_QR, 11112, opts);
  const d = r.observation.dicom;
  assert.equal(d?.anyCalledAe, false);
  assert.equal(d?.calledAe, 'COMMON');
  assert.equal(d?.calledAeSource, 'dictionary');
  assert.equal(d?.echo, true);
});

test('Orthanc that knows only its own title refuses as its row says, and names nothing (dcm4che answers alike)', async () => {
  const r = await probeService(ORTHANC, 4242, opts);
  const p = r.observation.dicom?.rejectionProfile;
  assert.deepEqual(p, { calledAe: 'RJ 1/1/7', protocolVersion: 'RJ 1/2/2', applicationContext: 'RJ 1/1/2' });
  assert.ok(profilesOf(rowOf('DCMTK', /Orthanc/)).some((q) => JSON.stringify(q) === JSON.stringify(p)));
  assert.ok(profilesOf(rowOf('dcm4che', /dcm4che/)).some((q) => JSON.stringify(q) === JSON.stringify(p)));
  assert.equal(toolkitFromRejections(p ?? null), null);
  assert.deepEqual(identity(r.observation)?.fingerprint.basis, null);
});

test('dcmjs-dimse refusing other titles: the library looks at neither version nor context (its row’s `first`)', async () => {
  const r = await probeService(DIMSE, 11112, opts);
  const p = r.observation.dicom?.rejectionProfile;
  assert.deepEqual(p, { calledAe: 'RJ 1/1/7', protocolVersion: 'RJ 1/1/7', applicationContext: 'RJ 1/1/7' });
  assert.ok(profilesOf(rowOf('dcmjs-dimse', /Scp/)).some((q) => JSON.stringify(q) === JSON.stringify(p)));
  assert.equal(toolkitFromRejections(p ?? null), null);
  assert.deepEqual(identity(r.observation)?.toolkit, null);
});

test('PixelMed with its command line’s default title: entered through the dictionary, identified from its AC', async () => {
  const r = await probeService(PIXELMED_DEFAULT, 11112, opts);
  const d = r.observation.dicom;
  assert.equal(d?.anyCalledAe, false);
  assert.equal(d?.calledAe, 'STORESCP');
  assert.match(d?.implementationClassUid ?? '', /^1\.3\.6\.1\.4\.1\.5962\./);
  assert.equal(identity(r.observation)?.toolkit, 'PixelMed');
});

test('PixelMed refusing other titles: version and context never looked at, 1/1/7 three times (its row)', async () => {
  const r = await probeService(PIXELMED, 11112, opts);
  const p = r.observation.dicom?.rejectionProfile;
  assert.deepEqual(p, { calledAe: 'RJ 1/1/7', protocolVersion: 'RJ 1/1/7', applicationContext: 'RJ 1/1/7' });
  assert.ok(profilesOf(rowOf('PixelMed', /Acceptor/)).some((q) => JSON.stringify(q) === JSON.stringify(p)));
  assert.equal(toolkitFromRejections(p ?? null), null);
});

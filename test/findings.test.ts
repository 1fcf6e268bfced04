/** Findings and identification are pure: judged here from saved observations, no network. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fingerprintToolkit } from '../src/fingerprint/dicom.js';
import { toolkitFromRejections } from '../src/fingerprint/rejection.js';
import { identifyHost } from '../src/fingerprint/host.js';
import { isExposed, judgeService } from '../src/findings/judge.js';
import { CATALOGUE } from '../src/findings/catalogue.js';
import { emptyObservation } from '../src/probes/dicom/probe.js';
import type { DicomObservation, ServiceObservation } from '../src/probes/types.js';

function dicom(over: Partial<DicomObservation>): DicomObservation {
  return {
    ...emptyObservation(),
    implementationClassUid: '1.2.276.0.7230010.3.0.3.6.7',
    implementationVersionName: 'OFFIS_DCMTK_367',
    maxPduLength: 16384,
    ...over,
  };
}

function service(over: Partial<ServiceObservation>): ServiceObservation {
  return {
    host: '192.0.2.7',
    port: 4242,
    transport: 'tcp',
    protocol: 'dicom',
    tls: null,
    dicom: null,
    http: null,
    exposure: null,
    failure: null,
    elapsedMs: 5,
    ...over,
  };
}

const openOrthanc = service({
  dicom: dicom({
    calledAe: 'OPENDOOR-NOSUCH',
    anyCalledAe: true,
    anyCallingAe: true,
    echo: true,
    find: true,
    findModels: ['1.2.840.10008.5.1.4.1.2.2.1'],
    getAccepted: true,
    moveAccepted: true,
    storageAccepted: true,
    acceptsNonexistentSopClass: false,
  }),
});

test('an open archive: critical open query first, then retrieval, association (stable order within a severity), any AE, storage, no TLS', () => {
  const f = judgeService(openOrthanc, 'Orthanc');
  assert.deepEqual(
    f.map((x) => x.id),
    [
      'dicom-open-query',
      'dicom-retrieve-offered',
      'dicom-open-association',
      'dicom-any-called-ae',
      'dicom-storage-accepted',
      'dicom-no-tls',
    ],
  );
  assert.ok(isExposed(f));
  assert.match(f[0]?.remediation ?? '', /DicomCheckCalledAet/); // product-specific remediation
  assert.doesNotMatch(f[0]?.remediation ?? '', /AETable/);
});

test('a restricted archive is not exposed, and says so', () => {
  const f = judgeService(
    service({
      dicom: dicom({
        rejection: { result: 1, source: 1, reason: 7, meaning: 'called-AE-title-not-recognized' },
        attempts: [],
      }),
    }),
    null,
  );
  assert.deepEqual(
    f.map((x) => x.id),
    ['dicom-restricted'],
  );
  assert.ok(!isExposed(f));
});

test('a guessable AE title and a honeypot-like server', () => {
  const f = judgeService(
    service({
      dicom: dicom({
        calledAe: 'ARCHIVE',
        anyCalledAe: false,
        anyCallingAe: true,
        echo: true,
        find: false,
        acceptsNonexistentSopClass: true,
      }),
    }),
    'DCMTK',
  );
  const ids = f.map((x) => x.id);
  assert.ok(ids.includes('dicom-guessable-ae'));
  assert.ok(ids.includes('dicom-honeypot-suspect'));
  assert.ok(!ids.includes('dicom-open-query'));
  assert.match(f.find((x) => x.id === 'dicom-open-association')?.remediation ?? '', /AETable/);
});

test('TLS facts: client certificate required, self-signed, expired, legacy version', () => {
  const tls = {
    version: 'TLSv1',
    subject: 'CN=x',
    issuer: 'CN=x',
    selfSigned: true,
    notAfter: '2020-01-01T00:00:00.000Z',
    clientCertRequired: true,
  };
  const ids = judgeService(service({ transport: 'tls', protocol: 'unknown', tls }), null, new Date('2026-01-01')).map(
    (x) => x.id,
  );
  assert.deepEqual(ids.sort(), ['tls-client-cert-required', 'tls-expired', 'tls-legacy-version', 'tls-self-signed']);
});

test('every finding id in the catalogue is its own key and has remediation', () => {
  for (const [key, def] of Object.entries(CATALOGUE)) {
    assert.equal(def.id, key);
    assert.ok(def.remediation.length > 10);
  }
});

test('toolkit fingerprints: UID roots and version names (../shared/fingerprints.md)', () => {
  const fp = (uid: string | null, name: string | null, pdu: number | null = null) => {
    const f = fingerprintToolkit(uid, name, pdu);
    return f === null ? null : [f.toolkit, f.product, f.version, f.basis, f.contradiction];
  };
  assert.deepEqual(fp('1.2.276.0.7230010.3.0.3.6.7', 'OFFIS_DCMTK_367', 16384), [
    'DCMTK',
    null,
    '3.6.7',
    'uid+name',
    null,
  ]);
  assert.deepEqual(fp('1.2.826.0.1.3680043.9.3811.2.0.2', 'PYNETDICOM_202', 16382), [
    'pynetdicom',
    null,
    '2.0.2',
    'uid+name',
    null,
  ]);
  assert.deepEqual(fp('1.2.40.0.13.1.3', 'dcm4che-5.23.2'), ['dcm4che', null, '5.23.2', 'uid+name', null]);
  assert.deepEqual(fp('1.2.826.0.1.3680043.2.135.1066.101', '1.5.0/WIN32'), [
    'Conquest',
    'Conquest DICOM server',
    '1.5.0',
    'uid+name',
    null,
  ]);
  assert.equal(fingerprintToolkit('1.3.6.1.4.1.30071.8', 'fo-dicom 4.0.0')?.version, '4.0.0');
  // new rows, each from its source
  assert.deepEqual(fp('1.2.276.0.7238010.5.0.3.5.4', 'OSIRIX'), ['DCMTK', 'OsiriX/Horos', null, 'uid+name', null]);
  assert.deepEqual(fp('1.2.826.0.1.3680043.9.55600.0', 'Odil 0'), ['Odil', null, '0', 'uid+name', null]);
  assert.deepEqual(fp('1.2.826.0.1.3680043.10.854', 'DCMJS-DIMSE-V0.2', 262144), [
    'dcmjs-dimse',
    null,
    '0.2',
    'uid+name',
    null,
  ]);
  assert.deepEqual(fp('2.16.840.1', 'MergeCOM3_5_11_0'), ['MergeCOM-3', null, '5_11_0', 'uid+name', null]);
  assert.deepEqual(fp('2.25.262086406829110419931297894772577063974', 'DICOM-rs 0.8.1'), [
    'DICOM-rs',
    null,
    '0.8.1',
    'name',
    null,
  ]);
  assert.equal(fp('1.3.6.1.4.1.25403.1.1.1', 'Dicom 0.1')?.[1], 'ClearCanvas');
  assert.equal(fp('1.3.6.1.4.1.5962.99.2', 'PIXELMEDJAVA001')?.[0], 'PixelMed');
  // component boundaries and shared arcs: never a product from a neighbour's UID or a shared arc
  assert.equal(fingerprintToolkit('1.2.826.0.1.3680043.2.461.5', null), null);
  assert.equal(fingerprintToolkit('1.2.826.0.1.3680043.99', null), null);
  assert.equal(fingerprintToolkit('2.16.840.1.5', 'MergeCOM3_320'), null);
  assert.equal(fingerprintToolkit('1.2.3.4', null), null);
  assert.equal(fingerprintToolkit(null, null), null);
  // the PDU length and the version name are second signals: a persona they contradict is not believed
  assert.match(
    fp('1.2.276.0.7230010.3.0.3.6.2', 'OFFIS_DCMTK_362', 16382)?.[4] ?? '',
    /maximum PDU 16382 is pynetdicom's, not DCMTK's/,
  );
  assert.match(
    fp('1.2.826.0.1.3680043.9.3811.2.0.1', 'ORTHANC', 16382)?.[4] ?? '',
    /ORTHANC, which Orthanc itself never sends/,
  );
  assert.match(
    fp('1.2.826.0.1.3680043.9.3811.2.0.1', 'OFFIS_DCMTK_362')?.[4] ?? '',
    /version name of DCMTK with a pynetdicom UID/,
  );
});

test('one host, one story: Orthanc REST names the DCMTK-speaking DICOM port too', () => {
  const http = service({
    port: 8042,
    protocol: 'http',
    http: {
      status: 200,
      server: null,
      auth: 'none',
      api: 'orthanc',
      dicomweb: null,
      title: null,
      retrieve: null,
      retrieveVia: null,
      aeTitles: [],
      aeTitlesFrom: null,
    },
  });
  const ids = identifyHost([
    { observation: openOrthanc, httpProduct: null, httpVersion: null },
    { observation: http, httpProduct: 'Orthanc', httpVersion: '1.10.1' },
  ]);
  assert.deepEqual(
    ids.map((i) => [i.product, i.version]),
    [
      ['Orthanc', '1.10.1'],
      ['Orthanc', '1.10.1'],
    ],
  );
  // without the web evidence the same DICOM answer is only DCMTK
  assert.deepEqual(identifyHost([{ observation: openOrthanc, httpProduct: null, httpVersion: null }])[0], {
    product: 'DCMTK',
    version: '3.6.7',
    toolkit: 'DCMTK',
    fingerprint: { basis: 'association', confidence: 'high', contradiction: null },
  });
});

test('closed doors: a toolkit from how it refuses, only where the pattern is unique', () => {
  const dcmtk = { calledAe: 'RJ 1/1/7', protocolVersion: 'RJ 1/2/2', applicationContext: 'RJ 2/1/2' };
  assert.equal(toolkitFromRejections(dcmtk), 'DCMTK');
  // Orthanc's permanent refusal of the context is dcm4che's too (AssociationHandler.java): no name
  assert.equal(toolkitFromRejections({ ...dcmtk, applicationContext: 'RJ 1/1/2' }), null);
  // Odil and dcmjs-dimse accept both variants: no pattern, no name
  assert.equal(toolkitFromRejections({ calledAe: 'RJ 1/1/7', protocolVersion: 'AC', applicationContext: 'AC' }), null);
  assert.equal(toolkitFromRejections({ ...dcmtk, protocolVersion: 'abort' }), null);
  assert.equal(toolkitFromRejections(null), null);
});

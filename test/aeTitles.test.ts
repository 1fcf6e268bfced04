/**
 * Default AE titles from the products' sources (PRODUCT_DEFAULT_AE_TITLES): every title valid and
 * sourced, the dictionary each title once and no longer than it has to be, and the host's own word
 * before any product default.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_CALLED_AE_TITLES,
  PRODUCT_DEFAULT_AE_TITLES,
  calledAeCandidates,
  hintsFrom,
  isValidAeTitle,
  productHints,
} from '../src/probes/dicom/aeTitles.js';
import { dicomProbeBoundMs } from '../src/probes/dicom/probe.js';
import { associationBoundMs } from '../src/probes/dicom/negotiation.js';
import type { ServiceObservation } from '../src/probes/types.js';

test('every product row: valid titles and a source (file and line, or the name-in-capitals rule)', () => {
  for (const row of PRODUCT_DEFAULT_AE_TITLES) {
    assert.ok(row.titles.length > 0, row.product);
    for (const t of row.titles) assert.ok(isValidAeTitle(t) && t === t.toUpperCase(), `${row.product}: ${t}`);
    assert.match(row.source, /\S+\.\w+:\d+|\S+\.(?:hpp|php) \S+|name in capitals|LDAP/, row.product);
  }
  assert.equal(new Set(PRODUCT_DEFAULT_AE_TITLES.map((r) => r.product)).size, PRODUCT_DEFAULT_AE_TITLES.length);
});

test('the dictionary: every product title once, the most common product first, 25 titles', () => {
  assert.equal(new Set(DEFAULT_CALLED_AE_TITLES).size, DEFAULT_CALLED_AE_TITLES.length);
  for (const row of PRODUCT_DEFAULT_AE_TITLES)
    for (const t of row.titles) assert.ok(DEFAULT_CALLED_AE_TITLES.includes(t));
  assert.equal(DEFAULT_CALLED_AE_TITLES[0], 'ORTHANC');
  // the sample dcmqrscp AE open to any peer, pynetdicom's, DICOM-rs's storescp's, Dicoogle's current default
  for (const t of ['COMMON', 'PYNETDICOM', 'STORE-SCP', 'DICOOGLE-STORAGE'])
    assert.ok(DEFAULT_CALLED_AE_TITLES.includes(t));
  // 20 before issue 24: each title is one association per closed port, at most
  assert.equal(DEFAULT_CALLED_AE_TITLES.length, 25);
  assert.equal(
    dicomProbeBoundMs({ timeoutMs: 1000, depth: 'access', aeTitles: [] }),
    (1 + 25 + 8 + 2) * associationBoundMs(1000),
  );
});

test('product hints: the table’s titles, or else the product’s name in capitals, tried once', () => {
  assert.deepEqual(
    productHints('Dicoogle').map((h) => h.title),
    ['DICOOGLE-STORAGE', 'DICOOGLE'],
  );
  assert.deepEqual(
    productHints('OsiriX/Horos').map((h) => h.title),
    ['OSIRIX', 'HOROS'],
  );
  assert.deepEqual(productHints('fo-dicom'), [{ title: 'FO-DICOM', source: 'product-default:fo-dicom' }]);
});

test('what the host told comes first, then its product’s defaults, then the dictionary, each title once', () => {
  const told = {
    http: { aeTitles: ['LOCAL_AE_7'], aeTitlesFrom: 'orthanc-system' },
    tls: null,
  } as unknown as ServiceObservation;
  const hints = hintsFrom(told, 'Orthanc');
  assert.deepEqual(hints, [
    { title: 'LOCAL_AE_7', source: 'orthanc-system' },
    { title: 'ORTHANC', source: 'product-default:Orthanc' },
  ]);
  const c = calledAeCandidates(['SITE_QR'], hints);
  assert.deepEqual(
    c.slice(0, 4).map((x) => `${x.title}:${x.source}`),
    ['SITE_QR:user', 'LOCAL_AE_7:orthanc-system', 'ORTHANC:product-default:Orthanc', 'ANY-SCP:dictionary'],
  );
  assert.equal(c.length, 2 + DEFAULT_CALLED_AE_TITLES.length);
});

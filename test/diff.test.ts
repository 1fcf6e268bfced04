/** diff is pure: saved records in, new/fixed/changed out. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServiceRecord } from '../src/output/records.js';
import { diffScans } from '../src/report/diff.js';
import { exposure as counted, serviceRecord } from './harness/records.js';

const rec = (host: string, port: number, over: Partial<ServiceRecord> = {}): ServiceRecord =>
  serviceRecord(host, port, {
    product: 'Orthanc',
    fingerprint: { basis: 'http', confidence: 'high', contradiction: null },
    ...over,
  });
/** Patients and studies counted (instances left at 0: these cases compare the others). */
const exposure = (patients: number) => counted(patients, { instances: 0 });
const open = [{ id: 'dicom-open-query', severity: 'critical', title: 't', remediation: 'r', evidence: 'e' }];

test('new, fixed (gone and not exposed) and changed counts', () => {
  const a = [
    rec('192.0.2.1', 104, { findings: open, exposure: exposure(5) }),
    rec('192.0.2.2', 104, { findings: open }),
    rec('192.0.2.3', 104, { findings: open }),
  ];
  const b = [
    rec('192.0.2.1', 104, { findings: open, exposure: exposure(7) }),
    rec('192.0.2.3', 104),
    rec('192.0.2.4', 104, { findings: open, transport: 'tls' }),
  ];
  const d = diffScans('A', a, 'B', b);
  assert.deepEqual(
    d.new.map((x) => x.host),
    ['192.0.2.4'],
  );
  assert.deepEqual(
    d.fixed.map((x) => [x.host, x.now]),
    [
      ['192.0.2.2', 'gone'],
      ['192.0.2.3', 'not exposed'],
    ],
  );
  assert.deepEqual(d.changed.find((c) => c.host === '192.0.2.1')?.changes, [
    'patients 5 → 7 (+2)',
    'studies 10 → 14 (+4)',
  ]);
});

test('a host outside the second scan\'s scope is not "fixed"; an unmeasured count is not a change', () => {
  const a = [
    rec('192.0.2.1', 104, { findings: open, exposure: exposure(5) }),
    rec('192.0.2.9', 104, { findings: open }),
  ];
  const b = [rec('192.0.2.1', 104, { findings: open })];
  const d = diffScans('A', a, 'B', b, (h) => h !== '192.0.2.9');
  assert.deepEqual(d.fixed, []);
  assert.deepEqual(d.changed, []);
});

test('TLS added and a new accepted AE title are changes', () => {
  const a = [rec('192.0.2.1', 104, { dicom: { calledAe: null } as ServiceRecord['dicom'] })];
  const b = [rec('192.0.2.1', 104, { transport: 'tls', dicom: { calledAe: 'PACS' } as ServiceRecord['dicom'] })];
  assert.deepEqual(diffScans('A', a, 'B', b).changed[0]?.changes.slice(0, 2), [
    'accepted called AE none → PACS',
    'TLS added',
  ]);
});

/**
 * Clusters from saved prints: hosts that answered alike on every basis group together, a fleet is
 * five or more with the same patients, a mirrored pair is a cluster and no fleet, and a fleet's
 * stored records are judged honeypots with the cluster named.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inCluster } from '../src/engine/clusters.js';
import { FLEET_SIZE, findClusters, judgeInCluster } from '../src/fingerprint/cluster.js';
import type { ServiceRecord } from '../src/output/records.js';

const fleet = Array.from({ length: 6 }, (_, i) => ({
  host: `203.0.113.${10 + i}`,
  prints: { association: 'dcmtk-ac', data: 'canned-set' },
}));
const mirror = ['198.51.100.7', '198.51.100.8'].map((host) => ({
  host,
  prints: { association: 'dcmtk-ac', data: 'hospital-set' },
}));
const alone = [
  { host: '192.0.2.1', prints: { association: 'dcmtk-ac', data: 'other-set' } },
  { host: '192.0.2.2', prints: {} },
];

test('a fleet, a mirror and hosts alone: two clusters, largest first, only the fleet judged one', () => {
  const clusters = findClusters([...alone, ...mirror, ...fleet]);
  assert.deepEqual(
    clusters.map((c) => ({ id: c.id, size: c.size, basis: c.basis, fleet: c.fleet })),
    [
      { id: 'c1', size: 6, basis: ['association', 'data'], fleet: true },
      { id: 'c2', size: 2, basis: ['association', 'data'], fleet: false },
    ],
  );
  assert.deepEqual(clusters[0]?.hosts, fleet.map((h) => h.host).sort());
  assert.deepEqual(clusters[1]?.hosts, ['198.51.100.7', '198.51.100.8']);
});

test('a basis one host lacks keeps it apart; identical answers without data are a cluster, never a fleet', () => {
  const closed = Array.from({ length: 8 }, (_, i) => ({ host: `10.0.0.${i + 1}`, prints: { association: 'same-ac' } }));
  const withData = { host: '10.0.0.99', prints: { association: 'same-ac', data: 'x' } };
  const clusters = findClusters([...closed, withData]);
  assert.equal(clusters.length, 1);
  assert.equal(clusters[0]?.size, 8);
  assert.equal(clusters[0]?.fleet, false);
  assert.ok(!clusters[0]?.hosts.includes(withData.host));
});

test('one host short of a fleet is not one', () => {
  const clusters = findClusters(fleet.slice(0, FLEET_SIZE - 1));
  assert.equal(clusters[0]?.fleet, false);
  assert.equal(findClusters(fleet.slice(0, FLEET_SIZE))[0]?.fleet, true);
});

test("a fleet's host: suspected, the cluster named, its one finding says its counts are out of every total", () => {
  const [c] = findClusters(fleet);
  assert.ok(c !== undefined);
  const record = {
    type: 'service',
    host: fleet[0]?.host,
    port: 11112,
    product: 'DCMTK',
    honeypot: { suspect: false, reasons: [] },
    dicom: { honeypotSuspect: false },
    exposure: { patients: 3, studies: 3 },
    findings: [{ id: 'dicom-c-find-open', severity: 'critical', title: '', remediation: '', evidence: '' }],
  } as unknown as ServiceRecord;
  const judged = inCluster(record, c);
  assert.deepEqual(judged.cluster, { id: 'c1', size: 6, basis: ['association', 'data'] });
  assert.deepEqual(judged.honeypot, { suspect: true, reasons: ['fleet:c1'] });
  assert.equal(judged.dicom?.honeypotSuspect, true);
  assert.deepEqual(
    judged.findings.map((f) => [f.id, f.evidence]),
    [['honeypot-suspected', 'tells: fleet:c1; its 3 patients and 3 studies are left out of every total']],
  );
  // judged twice (a judgement run again after a crash): the same record
  assert.deepEqual(inCluster(judged, c), judged);
  // a mirror's host keeps its findings and is no suspect
  const [, pair] = findClusters([...fleet, ...mirror]);
  assert.ok(pair !== undefined);
  const kept = inCluster({ ...record, host: '198.51.100.7' }, pair);
  assert.equal(kept.honeypot?.suspect, false);
  assert.equal(kept.findings[0]?.id, 'dicom-c-find-open');
  assert.deepEqual(judgeInCluster(undefined, pair), { suspect: false, reasons: [] });
});

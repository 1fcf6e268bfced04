/**
 * Closed doors read from the stacks' sources (src/fingerprint/rejection.ts): a profile names a
 * toolkit only when no other toolkit's source gives it (checked over the whole table), and each
 * row, answered by a scripted loopback peer as its source says, is recorded and named (or not)
 * through the real probe.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { DICOM_APPLICATION_CONTEXT } from '../src/dicom/pdu.js';
import { identifyHost } from '../src/fingerprint/host.js';
import { REJECTION_ROWS, profilesOf, toolkitFromRejections, type Rj } from '../src/fingerprint/rejection.js';
import type { RejectionProfile } from '../src/probes/types.js';
import { probeService } from '../src/probes/service.js';
import { silentLogger } from '../src/util/log.js';
import { associateRj, startRefusingPeer } from './harness/dicomPeer.js';

const same = (a: RejectionProfile, b: RejectionProfile): boolean =>
  a.calledAe === b.calledAe && a.protocolVersion === b.protocolVersion && a.applicationContext === b.applicationContext;

test('a profile names a toolkit only when every source that gives it is that toolkit’s', () => {
  let named = 0;
  for (const row of REJECTION_ROWS) {
    assert.match(row.source, /\S+\.(?:cc|cpp|cxx|hpp|c|java|cs|py|rs|js):\d+/, `${row.toolkit}: a file and line`);
    for (const p of profilesOf(row)) {
      const givers = new Set(REJECTION_ROWS.filter((r) => profilesOf(r).some((q) => same(p, q))).map((r) => r.toolkit));
      const expected = givers.size === 1 ? row.toolkit : null;
      assert.equal(toolkitFromRejections(p), expected, `${row.toolkit} ${JSON.stringify(p)}: given by ${[...givers]}`);
      if (expected !== null) named++;
    }
  }
  assert.equal(named, 3);
});

test('what the sources tell apart, and what they do not', () => {
  const p = (calledAe: string, protocolVersion: string, applicationContext: string) => ({
    calledAe,
    protocolVersion,
    applicationContext,
  });
  // dcmqrscp's transient refusal of the context (dcmqrsrv.cc) is DCMTK's alone
  assert.equal(toolkitFromRejections(p('RJ 1/1/7', 'RJ 1/2/2', 'RJ 2/1/2')), 'DCMTK');
  // DICOM-rs refuses protocol version 2 as the service user, no reason given (server.rs)
  assert.equal(toolkitFromRejections(p('RJ 1/1/7', 'RJ 1/1/1', 'RJ 1/1/2')), 'DICOM-rs');
  // pynetdicom checks the version in its DUL but never the context (fsm.py, acse.py)
  assert.equal(toolkitFromRejections(p('RJ 1/1/3', 'RJ 1/2/2', 'RJ 1/1/3')), 'pynetdicom');
  // Orthanc (DCMTK inside), dcm4che: the same answers
  assert.equal(toolkitFromRejections(p('RJ 1/1/7', 'RJ 1/2/2', 'RJ 1/1/2')), null);
  // pynetdicom with require_called_aet answers as CTN's simple_storage does
  assert.equal(toolkitFromRejections(p('RJ 1/1/7', 'RJ 1/2/2', 'RJ 1/1/7')), null);
  // stacks that look at neither version nor context: Conquest, PixelMed, fo-dicom, Odil, dcmjs-dimse
  assert.equal(toolkitFromRejections(p('RJ 1/1/7', 'RJ 1/1/7', 'RJ 1/1/7')), null);
  assert.equal(toolkitFromRejections(p('RJ 1/1/7', 'AC', 'AC')), null);
  assert.equal(toolkitFromRejections(null), null);
});

const HOST = '127.0.89.2';
const stops: Array<() => Promise<void>> = [];
after(async () => Promise.all(stops.map((s) => s())));

const opts = {
  timeoutMs: 1000,
  depth: 'access' as const,
  aeTitles: [],
  maxQueries: 10,
  countBudgetMs: 5000,
  log: silentLogger,
  throttle: async () => undefined,
};

const rj = (answer: Rj): Buffer => {
  const [result, source, reason] = answer.slice(3).split('/').map(Number) as [number, number, number];
  return associateRj(result, source, reason);
};

test('each row, answered by a scripted peer as its source says: recorded, and named only where unique', async () => {
  let port = 20000;
  for (const row of REJECTION_ROWS) {
    for (const first of [...new Set([...row.calledAe, ...row.callingAe])]) {
      // the stack as its source checks: protocol version, then application context, then the titles
      const peer = await startRefusingPeer(HOST, ++port, (rq) => {
        if (rq.protocolVersion !== 1 && row.protocolVersion !== 'first') return rj(row.protocolVersion);
        if (rq.applicationContext !== DICOM_APPLICATION_CONTEXT && row.applicationContext !== 'first')
          return rj(row.applicationContext);
        return rj(first);
      });
      stops.push(peer.stop);
      const r = await probeService(HOST, port, opts);
      const d = r.observation.dicom;
      const expected = profilesOf(row).find((p) => p.calledAe === first);
      assert.deepEqual(d?.rejectionProfile, expected, `${row.toolkit} refusing with ${first}`);
      const id = identifyHost([{ observation: r.observation, httpProduct: null, httpVersion: null }])[0];
      const name = toolkitFromRejections(expected ?? null);
      assert.deepEqual(
        [id?.product, id?.toolkit, id?.fingerprint.basis],
        [null, name, name === null ? null : 'rejection'],
        `${row.toolkit} refusing with ${first}`,
      );
      await peer.stop();
    }
  }
});

/**
 * The DICOM probe against real servers (Orthanc, dcmqrscp, storescp over TLS) and the whole
 * nine-host scan through the real command line.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { identifyHost } from '../src/fingerprint/host.js';
import type { ServiceRecord, SummaryRecord } from '../src/output/records.js';
import { probeService } from '../src/probes/service.js';
import { silentLogger } from '../src/util/log.js';
import { runCli } from './harness/cli.js';
import { assertServiceRecord, assertSummaryRecord } from './harness/contract.js';
import { DICOM_PORT, FLEET, FLEET_RANGE, startFleet, type Fleet } from './harness/fleet.js';

const TIMEOUT = 1500;
const opts = {
  timeoutMs: TIMEOUT,
  depth: 'access' as const,
  aeTitles: [],
  maxQueries: 500,
  countBudgetMs: 30000,
  log: silentLogger,
  throttle: async () => undefined,
};

describe('real servers', () => {
  let fleet: Fleet;
  before(async () => {
    fleet = await startFleet();
  });
  after(async () => {
    await fleet?.stop();
  });

  test('open Orthanc: any called AE, echo and find accepted, DCMTK toolkit on the wire', async () => {
    const r = await probeService(FLEET.orthancOpen, 4242, opts);
    const d = r.observation.dicom;
    assert.equal(r.observation.protocol, 'dicom');
    assert.ok(d !== null);
    assert.equal(d.anyCalledAe, true);
    assert.equal(d.anyCallingAe, true);
    assert.equal(d.echo, true);
    assert.equal(d.find, true);
    assert.equal(d.storageAccepted, true);
    assert.equal(d.acceptsNonexistentSopClass, false);
    assert.equal(d.implementationClassUid, '1.2.276.0.7230010.3.0.3.6.7');
    assert.equal(d.attempts.length, 1);
  });

  test('locked Orthanc: the called AE is recognised, the unknown caller refused (reason 3)', async () => {
    const r = await probeService(FLEET.orthancLocked, 4242, opts);
    const d = r.observation.dicom;
    assert.ok(d !== null);
    assert.equal(d.calledAe, null);
    assert.equal(d.recognisedCalledAe, 'ORTHANC');
    assert.equal(d.rejectedAe, 'calling');
    assert.equal(d.anyCallingAe, false);
    assert.equal(d.find, null);
  });

  test('dcmqrscp behind a guessable AE title: found in the dictionary, Q/R contexts accepted', async () => {
    const r = await probeService(FLEET.qrGuessable, 11112, opts);
    const d = r.observation.dicom;
    assert.ok(d !== null);
    assert.equal(d.anyCalledAe, false);
    assert.equal(d.calledAe, 'ARCHIVE');
    assert.equal(d.anyCallingAe, true);
    assert.equal(d.rejectedAe, 'called');
    assert.deepEqual(d.rejection?.meaning, 'called-AE-title-not-recognized');
    assert.equal(d.find, true);
    assert.equal(d.echo, true);
  });

  test('--ae-titles are tried before the dictionary', async () => {
    const r = await probeService(FLEET.qrGuessable, 11112, { ...opts, aeTitles: ['SITE-QR', 'ARCHIVE'] });
    assert.deepEqual(
      r.observation.dicom?.attempts.map((a) => a.calledAe),
      ['OPENDOOR-NOSUCH', 'SITE-QR', 'ARCHIVE'],
    );
  });

  test('dcmqrscp that only talks to known peers: nothing accepted, rejection reported', async () => {
    const r = await probeService(FLEET.qrKnownPeers, 11112, opts);
    const d = r.observation.dicom;
    assert.equal(r.observation.protocol, 'dicom');
    assert.ok(d !== null);
    assert.equal(d.calledAe, null);
    assert.notEqual(d.anyCallingAe, true);
    assert.ok(d.rejection !== null);
    // a closed door still says who built it: DCMTK's refusals of protocol version 2 and an unknown context
    assert.equal(d.rejectionProfile?.protocolVersion, 'RJ 1/2/2');
    assert.match(d.rejectionProfile?.applicationContext ?? '', /^RJ [12]\/1\/2$/);
    const [id] = identifyHost([{ observation: r.observation, httpProduct: null, httpVersion: null }]);
    assert.deepEqual([id?.product, id?.toolkit, id?.fingerprint.basis], [null, 'DCMTK', 'rejection']);
  });

  test('DICOM-TLS that requires a client certificate: TLS facts, clientCertRequired, not called DICOM', async () => {
    const r = await probeService(FLEET.tlsClientCert, 2762, opts);
    const t = r.observation.tls;
    assert.equal(r.observation.transport, 'tls');
    assert.notEqual(r.observation.protocol, 'dicom');
    assert.ok(t !== null);
    assert.equal(t.clientCertRequired, true);
    assert.equal(t.selfSigned, true);
    assert.match(t.subject ?? '', /CN=storescp\.127\.0\.77\.6/);
    assert.ok(t.notAfter !== null && new Date(t.notAfter) > new Date());
  });

  test('DICOM-TLS without client certificates: the probe runs inside the tunnel', async () => {
    const r = await probeService(FLEET.tlsOpen, 2762, opts);
    assert.equal(r.observation.transport, 'tls');
    assert.equal(r.observation.protocol, 'dicom');
    assert.equal(r.observation.tls?.clientCertRequired, false);
    assert.match(r.observation.tls?.version ?? '', /^TLSv1\.[23]$/);
    assert.equal(r.observation.dicom?.anyCalledAe, true); // storescp does not check the called AE title by default
    assert.equal(r.observation.dicom?.storageAccepted, true);
    assert.equal(r.observation.dicom?.find, false);
  });

  test('the nine-host scan through the CLI: every DICOM door found, nothing else called DICOM', async () => {
    const r = await runCli(['scan', FLEET_RANGE, '--json', '--timeout', String(TIMEOUT)]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ServiceRecord | SummaryRecord);
    const services = lines.filter((l): l is ServiceRecord => l.type === 'service');
    const summary = lines.at(-1) as SummaryRecord;
    assertSummaryRecord(summary as unknown as Record<string, unknown>);
    for (const s of services) assertServiceRecord(s as unknown as Record<string, unknown>);
    assert.equal(summary.targets, 9);
    // real servers are never taken for honeypots, and every identification says what it rests on
    assert.deepEqual(
      services
        .filter((s) => s.honeypot?.suspect === true)
        .map((s) => `${s.host}:${s.port} ${s.honeypot?.reasons.join(',')}`),
      [],
    );
    assert.equal(summary.honeypots.services, 0);
    for (const s of services) if (s.product !== null) assert.notEqual(s.fingerprint.basis, null, `${s.host}:${s.port}`);
    const at = (host: string, port: number) => services.find((s) => s.host === host && s.port === port);
    const dicom = services
      .filter((s) => s.protocol === 'dicom')
      .map((s) => `${s.host}:${s.port}`)
      .sort();
    assert.deepEqual(
      dicom,
      [
        `${FLEET.orthancOpen}:4242`,
        `${FLEET.orthancLocked}:4242`,
        `${FLEET.qrGuessable}:11112`,
        `${FLEET.qrKnownPeers}:11112`,
        `${FLEET.tlsOpen}:2762`,
      ].sort(),
    );
    // one host, one story: the DICOM record of Orthanc names Orthanc, as its REST API does
    assert.equal(at(FLEET.orthancOpen, 4242)?.product, 'Orthanc');
    assert.equal(at(FLEET.orthancOpen, 8042)?.product, 'Orthanc');
    assert.equal(at(FLEET.orthancOpen, 4242)?.version, at(FLEET.orthancOpen, 8042)?.version);
    assert.equal(at(FLEET.orthancLocked, 4242)?.product, 'Orthanc');
    assert.equal(at(FLEET.orthancLocked, 8042)?.http?.auth, 'required');
    assert.equal(at(FLEET.qrGuessable, 11112)?.product, 'DCMTK');
    assert.equal(at(FLEET.qrGuessable, 11112)?.dicom?.calledAe, 'ARCHIVE');
    assert.equal(at(FLEET.httpOnDicomPort, DICOM_PORT)?.protocol, 'http');
    assert.equal(at(FLEET.tarpit, DICOM_PORT)?.protocol, 'silent');
    assert.equal(at(FLEET.tlsClientCert, 2762)?.tls?.clientCertRequired, true);
    assert.equal(services.filter((s) => s.host === FLEET.empty).length, 0);
    assert.ok(
      at(FLEET.orthancOpen, 4242)?.findings.some((f) => f.id === 'dicom-open-query' && f.severity === 'critical'),
    );
    assert.ok(at(FLEET.orthancOpen, 4242)?.findings.some((f) => f.id === 'dicom-any-called-ae'));
    assert.ok(at(FLEET.qrGuessable, 11112)?.findings.some((f) => f.id === 'dicom-guessable-ae'));
    assert.ok(at(FLEET.qrKnownPeers, 11112)?.findings.some((f) => f.id === 'dicom-restricted'));
    assert.equal(
      summary.exposedServices,
      services.filter((s) => s.findings.some((f) => f.severity === 'critical' || f.severity === 'high')).length,
    );
    // a tarpit costs one timeout (silent to DICOM, and to HTTP asked on a fresh connection a moment
    // later, the two guesses overlapping), and the whole network is done in seconds
    assert.equal(at(FLEET.tarpit, DICOM_PORT)?.protocol, 'silent');
    assert.ok((at(FLEET.tarpit, DICOM_PORT)?.elapsedMs ?? Infinity) < TIMEOUT * 1.6, 'tarpit bounded');
    assert.ok(r.ms < 20000, `scan took ${r.ms} ms`);
  });
});

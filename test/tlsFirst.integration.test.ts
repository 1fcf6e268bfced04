/**
 * TLS as an entry of the protocol list: on the ports where TLS goes first its handshake is raced
 * against the plain guesses. A plain web server that says nothing to a TLS ClientHello (it waits for
 * a whole request, as small embedded servers do) is found on 8443 in well under a timeout, where the
 * handshake alone waited the whole timeout and called the port silent; a tarpit on DICOM-TLS's 2762
 * costs one timeout, and on a DICOM port too (the race's delay no longer added); a real DICOM-TLS
 * server still answers over TLS.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { probeService } from '../src/probes/service.js';
import { silentLogger } from '../src/util/log.js';
import { type HostilePeer, startHostile } from './harness/hostile.js';
import { startStorescpTls, type TestServer } from './harness/servers.js';
import { startWholeRequestHttp, type WebPeer } from './harness/web.js';

const H = { web: '127.0.85.20', tarpit: '127.0.85.21', dicomTls: '127.0.85.22' };
const TIMEOUT = 2000;
const opts = {
  timeoutMs: TIMEOUT,
  depth: 'access' as const,
  aeTitles: [],
  maxQueries: 10,
  countBudgetMs: 5000,
  log: silentLogger,
  throttle: async () => undefined,
};

describe('TLS-first ports: the handshake raced against the plain guesses', () => {
  let web: WebPeer | null = null;
  let tarpit: HostilePeer | null = null;
  let tarpitDicom: HostilePeer | null = null;
  let dicomTls: TestServer | null = null;
  before(async () => {
    web = await startWholeRequestHttp(H.web, 8443);
    tarpit = await startHostile(H.tarpit, 2762, ['stall']);
    tarpitDicom = await startHostile(H.tarpit, 11112, ['stall']);
    dicomTls = await startStorescpTls({ host: H.dicomTls, port: 2762, requireClientCert: false });
  });
  after(async () => {
    await Promise.all([web?.stop(), tarpit?.stop(), tarpitDicom?.stop(), dicomTls?.stop()]);
  });

  test('a plain web server silent to a ClientHello on 8443: found over TCP, well within one timeout', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await probeService(H.web, 8443, opts);
      assert.equal(r.observation.protocol, 'http');
      assert.equal(r.observation.transport, 'tcp');
      assert.equal(r.observation.http?.server, 'whole-request');
      assert.ok(r.observation.elapsedMs < TIMEOUT * 0.75, `${r.observation.elapsedMs} ms`);
    }
  });

  test('a tarpit on 2762: silent after one timeout, every connection closed', async () => {
    const r = await probeService(H.tarpit, 2762, opts);
    assert.equal(r.observation.protocol, 'silent');
    assert.deepEqual(r.observation.failure, { kind: 'io-timeout', detail: 'no TLS handshake answer' });
    assert.ok(r.observation.elapsedMs < TIMEOUT * 1.3, `${r.observation.elapsedMs} ms: one timeout`);
  });

  test('a tarpit on a DICOM port: the second guess stopped with the first, one timeout without the delay', async () => {
    // a longer timeout, so that the race's delay (250 ms) stands out of a loaded machine's timer slips
    const r = await probeService(H.tarpit, 11112, { ...opts, timeoutMs: 4000 });
    assert.deepEqual(r.observation.failure, { kind: 'io-timeout', detail: 'no answer to DICOM nor to HTTP' });
    const ms = r.observation.elapsedMs;
    assert.ok(ms >= 4000 && ms < 4000 + 200, `${ms} ms: one timeout, the delay (250 ms) not added`);
  });

  test('a DICOM-TLS server on 2762: answered over TLS, its certificate read', async () => {
    const r = await probeService(H.dicomTls, 2762, opts);
    assert.equal(r.observation.protocol, 'dicom');
    assert.equal(r.observation.transport, 'tls');
    assert.ok(r.observation.tls?.version);
  });
});

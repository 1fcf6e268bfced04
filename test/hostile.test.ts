/**
 * Hostile and broken peers: every one gets a classified result within its timeout, nothing is
 * buffered past the caps, and the process neither crashes nor hangs.
 */
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { after, describe, test } from 'node:test';
import { CommandField, encodeCommand } from '../src/dicom/dimse.js';
import { encodePDataTf } from '../src/dicom/pdu.js';
import { probeService } from '../src/probes/service.js';
import { silentLogger } from '../src/util/log.js';
import { ORTHANC_AC, hex } from './fixtures/pdus.js';
import { startEndlessFindPeer } from './harness/dicomPeer.js';
import { startHostile, type HostilePeer, type Step } from './harness/hostile.js';
import { runCli } from './harness/cli.js';

const TIMEOUT = 600;
const opts = {
  timeoutMs: TIMEOUT,
  depth: 'access' as const,
  aeTitles: [],
  maxQueries: 500,
  countBudgetMs: 30000,
  log: silentLogger,
  throttle: async () => undefined,
};
const peers: HostilePeer[] = [];
let nextHost = 2;

async function peer(script: Step[], port = 11112): Promise<HostilePeer> {
  const p = await startHostile(`127.0.78.${nextHost++}`, port, script);
  peers.push(p);
  return p;
}

const echoRsp = encodePDataTf([
  {
    contextId: 1,
    isCommand: true,
    isLast: true,
    data: encodeCommand({
      commandField: CommandField.CEchoRsp,
      messageIdBeingRespondedTo: 1,
      commandDataSetType: 0x0101,
      status: 0,
      affectedSopClassUid: '1.2.840.10008.1.1',
    }),
  },
]);

describe('hostile peers', () => {
  after(async () => {
    await Promise.all(peers.map((p) => p.stop()));
  });

  const cases: Array<{ name: string; script: Step[]; protocol: string; failure?: string; timeouts?: number }> = [
    {
      name: 'garbage on connect',
      script: [{ send: Buffer.from('\x00\xff\x13garbage-garbage-garbage', 'latin1') }, 'stall'],
      protocol: 'unknown',
    },
    {
      name: 'A-ASSOCIATE-AC cut short, then silence',
      script: ['read', { send: ORTHANC_AC.subarray(0, 40) }, 'stall'],
      protocol: 'unknown',
      failure: 'io-timeout',
    },
    {
      name: 'A-ASSOCIATE-AC cut short, then close',
      script: ['read', { send: ORTHANC_AC.subarray(0, 40) }, 'close'],
      protocol: 'unknown',
      failure: 'connection-closed',
    },
    {
      name: 'a PDU that declares 4 GiB, then endless bytes',
      script: ['read', { send: hex('02 00 ffffffff') }, { sendForever: Buffer.alloc(65536), everyMs: 1 }],
      protocol: 'unknown',
      failure: 'cap-exceeded',
    },
    {
      name: 'an endless drip of one byte a second',
      script: ['read', { drip: ORTHANC_AC, everyMs: 1000 }],
      protocol: 'unknown',
      failure: 'io-timeout',
    },
    {
      name: 'a reset mid-PDU',
      script: ['read', { send: ORTHANC_AC.subarray(0, 30) }, { wait: 20 }, 'reset'],
      protocol: 'unknown',
      failure: 'connection-reset',
    },
    // silent to DICOM, and asked in HTTP on a fresh connection after a short delay, not after the
    // first timeout: one timeout and the delay (RFC 8305's race), not two
    { name: 'silence (tarpit)', script: ['stall'], protocol: 'silent', failure: 'io-timeout', timeouts: 1.8 },
    {
      name: 'an HTTP server',
      script: ['read', { send: Buffer.from('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n') }, 'close'],
      protocol: 'http',
    },
    {
      name: 'A-ABORT in answer to A-ASSOCIATE-RQ',
      script: ['read', { send: hex('07 00 00000004 0000 02 00') }, 'close'],
      protocol: 'dicom',
    },
  ];

  for (const c of cases) {
    test(`${c.name}: classified ${c.protocol} within its timeout`, async () => {
      const p = await peer(c.script);
      const rssBefore = process.memoryUsage().rss;
      const started = performance.now();
      const r = await probeService(p.host, p.port, opts);
      const ms = performance.now() - started;
      assert.equal(r.observation.protocol, c.protocol);
      if (c.failure !== undefined) assert.equal(r.observation.failure?.kind, c.failure);
      // one timeout for the probe, one for a possible TLS retry on a port that closed silently
      assert.ok(ms < TIMEOUT * (c.timeouts ?? 2.5), `${c.name}: ${Math.round(ms)} ms`);
      assert.ok(process.memoryUsage().rss - rssBefore < 64 * 1024 * 1024, 'bounded memory');
    });
  }

  test('accepted, then endless P-DATA fragments: the byte cap ends it', async () => {
    const fragment = encodePDataTf([{ contextId: 1, isCommand: true, isLast: false, data: Buffer.alloc(16000) }]);
    const p = await peer(['read', { send: ORTHANC_AC }, 'read', { sendForever: fragment, everyMs: 1 }]);
    const started = performance.now();
    const r = await probeService(p.host, p.port, { ...opts, depth: 'detect' });
    assert.equal(r.observation.protocol, 'dicom');
    assert.equal(r.observation.dicom?.attempts[0]?.failure?.kind, 'cap-exceeded');
    assert.equal(r.observation.dicom?.echo, false);
    assert.ok(performance.now() - started < TIMEOUT * 2);
  });

  test('accepted, then A-ABORT instead of the C-ECHO response: reported at once', async () => {
    const p = await peer(['read', { send: ORTHANC_AC }, 'read', { send: hex('07 00 00000004 0000 00 00') }, 'stall']);
    const started = performance.now();
    const r = await probeService(p.host, p.port, { ...opts, depth: 'detect' });
    assert.equal(r.observation.dicom?.attempts[0]?.failure?.kind, 'protocol-error');
    assert.match(r.observation.dicom?.attempts[0]?.failure?.detail ?? '', /A-ABORT/);
    assert.ok(performance.now() - started < TIMEOUT / 2, 'no timeout waited');
  });

  test('accepted and echoed: a scripted well-behaved peer passes', async () => {
    const p = await peer([
      'read',
      { send: ORTHANC_AC },
      'read',
      { send: echoRsp },
      'read',
      { send: hex('06 00 00000004 00000000') },
      'close',
    ]);
    const r = await probeService(p.host, p.port, { ...opts, depth: 'detect' });
    assert.equal(r.observation.dicom?.echo, true);
    assert.equal(r.observation.dicom?.attempts[0]?.failure, null);
  });

  test('the CLI against every hostile peer at once exits in bounded time with one record each', async () => {
    const hosts = peers.map((p) => p.host);
    assert.ok(hosts.length >= 10);
    const r = await runCli(['scan', ...hosts, '-p', '11112', '--json', '--timeout', String(TIMEOUT)]);
    assert.equal(r.code, 0, r.stderr);
    const records = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string });
    assert.equal(records.filter((x) => x.type === 'service').length, hosts.length);
    assert.ok(r.ms < 15000, `${r.ms} ms`);
  });
});

/** A real collection on demand, to tell memory held from garbage not yet collected. */
const gc = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();

describe('hostile archive', () => {
  test('endless C-FIND pending answers, C-CANCEL ignored: the count budget ends it, partial, memory bounded', async () => {
    const peer = await startEndlessFindPeer('127.0.78.60', 11112);
    try {
      gc();
      const heap = process.memoryUsage().heapUsed;
      const rss = process.memoryUsage().rss;
      const started = performance.now();
      const r = await probeService('127.0.78.60', 11112, {
        ...opts,
        timeoutMs: 2000,
        depth: 'count',
        countBudgetMs: 1000,
      });
      const ms = performance.now() - started;
      assert.equal(r.observation.protocol, 'dicom');
      assert.equal(r.observation.dicom?.find, true);
      const e = r.observation.exposure;
      assert.ok(e !== null);
      assert.equal(e.complete, false);
      assert.match(e.incompleteReason ?? '', /1000 ms count budget/);
      assert.ok(e.studies > 0);
      assert.ok(peer.cancels >= 1, 'C-CANCEL was sent');
      assert.ok(ms < 1000 + 2 * 2000 + 2000, `${Math.round(ms)} ms`);
      // what is still held after a collection must be small; RSS only has to stay sane (garbage is lazily collected)
      gc();
      const held = process.memoryUsage().heapUsed - heap;
      assert.ok(held < 32 * 1024 * 1024, `heap held ${Math.round(held / 1048576)} MiB for ${e.studies} studies`);
      assert.ok(process.memoryUsage().rss - rss < 256 * 1024 * 1024, 'RSS bounded');
    } finally {
      await peer.stop();
    }
  });
});

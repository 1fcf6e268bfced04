/**
 * Server answers that once broke a scan (test/fixtures/repro, and ../shared/repro when it sits beside
 * the checkout): each case is served exactly as recorded — every PDU written at once after our
 * first PDU, closed 0.5 s later — and a whole CLI scan at --depth retrieve must end with a record.
 * Plus the channel-level cause of the first of them, without any socket timing involved.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, test } from 'node:test';
import { PduChannel } from '../src/dicom/channel.js';
import { runCli } from './harness/cli.js';
import { startHostile, type HostilePeer } from './harness/hostile.js';
import { SOURCE_DIR, tempDir } from './harness/procs.js';
import { ORTHANC_AC, hex } from './fixtures/pdus.js';

/** Cases of one repro file: name → the answers in order (the format replay.py reads). */
export function readRepro(file: string): Map<string, Buffer[]> {
  const cases = new Map<string, Buffer[]>();
  let current: Buffer[] | null = null;
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('[')) {
      current = [];
      cases.set(line.replace(/[[\]]/g, ''), current);
    } else current?.push(Buffer.from(line, 'hex'));
  }
  return cases;
}

const dirs = [path.resolve(SOURCE_DIR, '../fixtures/repro'), path.resolve(SOURCE_DIR, '../../../shared/repro')];
const seen = new Set<string>();
const cases: Array<{ name: string; answers: Buffer }> = [];
for (const dir of dirs.filter((d) => existsSync(d))) {
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.txt'))) {
    for (const [name, pdus] of readRepro(path.join(dir, f))) {
      const answers = Buffer.concat(pdus);
      const key = answers.toString('hex');
      if (seen.has(key)) continue;
      seen.add(key);
      cases.push({ name: `${f} [${name}]`, answers });
    }
  }
}

/** One CLI scan of a replayed case's port at a depth (the replay serves 127.0.76.x:10104). */
const scanCase = (host: string, depth: string) =>
  runCli([
    'scan',
    host,
    '-p',
    '10104',
    '--depth',
    depth,
    '--json',
    '--timeout',
    '1000',
    '--db',
    path.join(tempDir('repro'), 'r.db'),
  ]);

describe('server answers that once hung a scan', () => {
  const peers: HostilePeer[] = [];
  after(async () => Promise.all(peers.map((p) => p.stop())));

  test('the recorded cases are found', () => assert.ok(cases.length >= 2, `${cases.length} cases`));

  cases.forEach((c, i) => {
    test(`${c.name}: the scan ends with one classified record`, async () => {
      const p = await startHostile(`127.0.76.${10 + i}`, 10104, ['read', { send: c.answers }, { wait: 500 }, 'close']);
      peers.push(p);
      const r = await scanCase(p.host, 'retrieve');
      assert.equal(r.code, 0, r.stderr);
      const services = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; protocol?: string; error?: { kind: string } | null })
        .filter((x) => x.type === 'service');
      assert.equal(services.length, 1);
      assert.ok(r.ms < 8000, `${Math.round(r.ms)} ms`);
    });
  });
});

/** Limits far beyond the test: only the failure itself may end a receive. */
const LIMITS = { idleTimeoutMs: 60_000, deadlineMs: 60_000, maxPduLength: 65536, maxTotalBytes: 1 << 20 };

describe('PDU channel', () => {
  test('an A-ASSOCIATE-AC and a malformed P-DATA-TF in one chunk: the AC is delivered, then the failure', async () => {
    const socket = new PassThrough();
    const channel = new PduChannel(socket, LIMITS);
    const waiting = channel.receive(); // the waiter exists before the bytes arrive, as in a real exchange
    // P-DATA-TF of 9 bytes whose PDV item claims 0xffffffff
    socket.write(Buffer.concat([ORTHANC_AC, hex('04 00 00000009 ffffffff 01 03 00 00 00')]));
    const first = await waiting;
    assert.equal(first.type, 'associate-ac');
    await assert.rejects(channel.receive(), (e: Error & { kind?: string }) => e.kind === 'protocol');
    channel.destroy();
  });

  test('a failure while a receiver waits and nothing is queued rejects it at once', async () => {
    const socket = new PassThrough();
    const channel = new PduChannel(socket, LIMITS);
    const waiting = channel.receive();
    socket.write(hex('ff 00 00000000'));
    await assert.rejects(waiting, (e: Error & { kind?: string }) => e.kind === 'not-dicom');
  });
});

describe('what a broken association proves', () => {
  test('a FIND context accepted, then the association broke before the test query: find is unknown, not open', async () => {
    const c = cases[0];
    assert.ok(c !== undefined);
    const p = await startHostile('127.0.76.40', 10104, ['read', { send: c.answers }, { wait: 500 }, 'close']);
    try {
      const r = await scanCase(p.host, 'access');
      const s = JSON.parse(r.stdout.split('\n')[0] ?? '{}') as {
        dicom: { find: boolean | null; findRefusal: string | null };
        findings: Array<{ id: string }>;
      };
      assert.equal(s.dicom.find, null);
      assert.match(s.dicom.findRefusal ?? '', /^not tested: /);
      assert.ok(!s.findings.some((f) => f.id === 'dicom-open-query'), 'no open-query finding without a query answered');
    } finally {
      await p.stop();
    }
  });
});

/**
 * The host watchdog: a host's work that never settles is ended from outside at its deadline,
 * everything it held open is destroyed, and the scan records the host with the step it was in.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { HostWatch } from '../src/engine/hostWatch.js';
import { tcpConnect } from '../src/net/connect.js';
import { enterStep } from '../src/net/hostScope.js';
import { HttpClient } from '../src/probes/http/client.js';
import { runCli, startCli } from './harness/cli.js';
import { startHostile, type HostilePeer } from './harness/hostile.js';
import { tempDir } from './harness/procs.js';
import { hex } from './fixtures/pdus.js';

const forever = new Promise<void>(() => undefined);
const peers: HostilePeer[] = [];
async function peer(host: string, port: number, script: Parameters<typeof startHostile>[2]): Promise<HostilePeer> {
  const p = await startHostile(host, port, script);
  peers.push(p);
  return p;
}

describe('host watchdog', () => {
  after(async () => Promise.all(peers.map((p) => p.stop())));

  test('work that never settles ends at its deadline; its socket is destroyed; the step is known', async () => {
    const p = await peer('127.0.75.2', 10104, ['stall']);
    const watch = new HostWatch();
    let socket: { destroyed: boolean } | null = null;
    const started = performance.now();
    const listed: string[] = [];
    const result = watch.run(p.host, 300, async () => {
      enterStep('dicom: find test', 10104);
      const c = await tcpConnect(p.host, p.port, 1000);
      assert.ok(c.ok);
      socket = c.socket;
      listed.push(watch.describe());
      await forever;
    });
    const at = await result;
    assert.ok(at !== null);
    assert.equal(at.step, 'dicom: find test');
    assert.equal(at.port, 10104);
    const ms = performance.now() - started;
    assert.ok(ms >= 290 && ms < 1000, `${Math.round(ms)} ms`);
    assert.equal((socket as { destroyed: boolean } | null)?.destroyed, true, 'socket destroyed by the watchdog');
    assert.match(listed[0] ?? '', /127\.0\.75\.2:10104 {2}dicom: find test/);
    assert.equal(watch.activities().length, 0, 'nothing left in flight');
  });

  test('an HTTP request held by a silent server is cut by the deadline, long before its own timeout', async () => {
    const p = await peer('127.0.75.3', 10180, ['read', 'stall']);
    const watch = new HostWatch();
    let answer: string | null = null;
    const started = performance.now();
    const at = await watch.run(p.host, 300, async () => {
      const client = await HttpClient.open({ host: p.host, port: p.port, tls: false, timeoutMs: 30_000 });
      const r = await client.get('/');
      answer = r.ok ? 'ok' : r.failure;
      await client.close();
    });
    assert.ok(at !== null);
    await new Promise((r) => setTimeout(r, 50));
    assert.notEqual(answer, null, 'the abandoned request settled once its agent was destroyed');
    assert.ok(performance.now() - started < 2000);
  });

  test('work that settles in time is not touched and reports null', async () => {
    const watch = new HostWatch();
    assert.equal(await watch.run('127.0.75.4', 1000, async () => undefined), null);
  });

  test('scan: --host-timeout cuts a tarpit; a port already probed keeps its record; the scan ends', async () => {
    await peer('127.0.75.5', 10104, ['read', { send: hex('07 00 00000004 0000 02 00') }, 'close']);
    await peer('127.0.75.5', 10105, ['stall']);
    const db = path.join(tempDir('watch'), 'w.db');
    const r = await runCli([
      'scan',
      '127.0.75.5',
      '-p',
      '10104,10105',
      '--timeout',
      '3000',
      '--host-timeout',
      '1500',
      '--depth',
      'detect',
      '--json',
      '--db',
      db,
    ]);
    assert.equal(r.code, 0, r.stderr);
    type Rec = { type: string; port: number; protocol: string; error: { kind: string; detail: string } | null };
    const services = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Rec)
      .filter((x) => x.type === 'service')
      .sort((a, b) => a.port - b.port);
    assert.equal(services.length, 2);
    assert.equal(services[0]?.protocol, 'dicom');
    assert.equal(services[1]?.error?.kind, 'host-deadline');
    assert.match(services[1]?.error?.detail ?? '', /step: dicom: association/);
    assert.match(r.stderr, /host deadline \(1500 ms\) reached/);
    assert.ok(r.ms < 3000, `${Math.round(r.ms)} ms`);
  });

  test('scan: kill -USR1 lists the hosts in flight with their step and age, and the scan goes on', async () => {
    const tarpit = await peer('127.0.75.7', 10104, ['stall']);
    const child = startCli([
      'scan',
      '127.0.75.7',
      '-p',
      '10104',
      '--timeout',
      '2000',
      '--depth',
      'detect',
      '--json',
      '--db',
      path.join(tempDir('watch'), 'u.db'),
    ]);
    let stderr = '';
    let stdout = '';
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()));
    const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    // the tarpit holds the probe for its 2 s timeout: ask while it waits. Not before the scan is
    // connecting: its SIGUSR1 handler is on by then (a signal before it starts Node's inspector)
    for (const end = Date.now() + 20000; tarpit.connections === 0 && Date.now() < end; )
      await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 500));
    child.kill('SIGUSR1');
    assert.equal(await closed, 0);
    assert.match(stderr, /1 host\(s\) in flight[^\n]*\n {2}127\.0\.75\.7:10104 {2}dicom: association {2}\d+\.\d s/);
    assert.match(stdout, /"protocol":"silent"/);
  });

  test('scan: a bad --host-timeout is a usage error', async () => {
    const r = await runCli(['scan', '127.0.75.6', '--host-timeout', '5']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--host-timeout must be a whole number/);
  });
});

/**
 * Ports that flap or hide: a real single-association server that restarts after each association
 * (dcmtk's storescp, once per connection) gives the same record scan after scan; a port the sweep
 * saw open that never answers again still has its record; a web server that waits for a whole
 * request before it says anything is found as HTTP on a DICOM port.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli } from './harness/cli.js';
import { startOneShotScp, type OneShot } from './harness/oneShot.js';
import { tempDir } from './harness/procs.js';

interface Rec {
  type: string;
  port: number;
  protocol: string;
  product: string | null;
  dicom: { calledAe: string | null; echo: boolean | null } | null;
  http: { status: number | null } | null;
  error: { kind: string; detail: string } | null;
  findings: Array<{ id: string }>;
}

async function scan(host: string, port: number, extra: string[] = []): Promise<Rec[]> {
  const r = await runCli([
    'scan',
    host,
    '-p',
    String(port),
    '--json',
    '--timeout',
    '2000',
    '--db',
    path.join(tempDir('flap'), 'f.db'),
    ...extra,
  ]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Rec)
    .filter((x) => x.type === 'service');
}

describe('ports that flap or hide', () => {
  const closers: Array<() => Promise<void>> = [];
  after(async () => Promise.all(closers.map((c) => c())));

  test('a single-association server that restarts after each: the same record in 10 scans of 10', async () => {
    const RESTART = 400;
    const scp: OneShot = await startOneShotScp('127.0.73.2', 11112, RESTART);
    closers.push(scp.stop);
    const seen: string[] = [];
    for (let i = 0; i < 10; i++) {
      const recs = await scan(scp.host, scp.port, ['--depth', 'access']);
      const r = recs[0];
      seen.push(
        r === undefined
          ? 'no record'
          : `${r.protocol} ${r.product} ${r.dicom?.calledAe} echo=${r.dicom?.echo} ${r.findings.map((f) => f.id).join(',')}` +
              (r.error === null ? '' : ` error=${r.error.kind}: ${r.error.detail}`),
      );
      await new Promise((res) => setTimeout(res, RESTART + 300)); // the server is back before the next scan's sweep
    }
    assert.equal(new Set(seen).size, 1, seen.join('\n'));
    assert.match(seen[0] ?? '', /^dicom DCMTK OPENDOOR-NOSUCH echo=true/);
    assert.ok(scp.served >= 20, `${scp.served} connections served (sweep + probe each scan)`);
  });

  test('reset before a byte, once after the sweep: asked again like a refusal, the same DICOM record', async () => {
    // connection 1 is the sweep's, 2 the probe's first (reset), 3 the probe asking again
    const scp = await startOneShotScp('127.0.73.5', 11112, 100, new Set([2]));
    closers.push(scp.stop);
    const recs = await scan(scp.host, scp.port, ['--depth', 'access']);
    assert.equal(recs[0]?.protocol, 'dicom', JSON.stringify(recs[0]?.error));
    assert.equal(recs[0]?.dicom?.echo, true);
  });

  test('reset before a byte, every time: recorded as a reset after four tries, not as closed', async () => {
    const resets = new Set(Array.from({ length: 20 }, (_, i) => i + 2));
    const scp = await startOneShotScp('127.0.73.6', 11112, 100, resets);
    closers.push(scp.stop);
    const recs = await scan(scp.host, scp.port);
    assert.equal(recs[0]?.protocol, 'unknown');
    assert.equal(recs[0]?.error?.kind, 'connection-reset');
    assert.equal(scp.served, 1, 'storescp ran for the sweep only');
  });

  test('open at the sweep, refused ever after: recorded closed-after-sweep, not lost', async () => {
    const srv = net.createServer((socket) => {
      socket.destroy();
      srv.close(); // the port closes for good after the sweep's connection
    });
    await new Promise<void>((r) => srv.listen(11112, '127.0.73.3', () => r()));
    closers.push(async () => void srv.close());
    const recs = await scan('127.0.73.3', 11112);
    assert.equal(recs.length, 1);
    assert.equal(recs[0]?.protocol, 'unknown');
    assert.equal(recs[0]?.error?.kind, 'closed-after-sweep');
  });

  test('a web server that waits for a whole request, on a DICOM port: http, not silent', async () => {
    const srv = net.createServer((socket) => {
      let got = '';
      socket.on('error', () => undefined);
      socket.on('data', (b: Buffer) => {
        got += b.toString('latin1');
        if (got.includes('\r\n\r\n'))
          socket.end('HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 22\r\n\r\n<title>viewer</title>\n');
      });
    });
    await new Promise<void>((r) => srv.listen(11112, '127.0.73.4', () => r()));
    closers.push(() => new Promise<void>((r) => srv.close(() => r())));
    const recs = await scan('127.0.73.4', 11112, ['--timeout', '800']);
    assert.equal(recs[0]?.protocol, 'http');
    assert.equal(recs[0]?.http?.status, 200);
  });
});

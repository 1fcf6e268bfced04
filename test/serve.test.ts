/** The dashboard's pieces that need no server: listen addresses, where sign-in may send a browser, passwords, what servers said kept as text; serve's usage errors; the progress hub on a SQLite store. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { isLoopback, parseListen, stopping } from '../src/cli/serveCommand.js';
import { said, title, SAID_MAX } from '../src/probes/http/fingerprint.js';
import type { ScanDiff } from '../src/report/diff.js';
import { safeNext } from '../src/serve/auth.js';
import { unacknowledged } from '../src/monitor/alert.js';
import type { NoteRow } from '../src/store/store.js';
import { openStore } from '../src/store/open.js';
import { ProgressHub } from '../src/serve/progressHub.js';
import { hashPassword, sha256, verifyPassword } from '../src/serve/secrets.js';
import { runCli } from './harness/cli.js';
import { startServe } from './harness/serve.js';

test('--listen: HOST:PORT and [IPv6]:PORT; loopback is 127/8, ::1 and localhost', () => {
  assert.deepEqual(parseListen('127.0.0.1:8750'), { host: '127.0.0.1', port: 8750 });
  assert.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 });
  assert.deepEqual(parseListen('dash.example:443'), { host: 'dash.example', port: 443 });
  for (const bad of ['8750', '127.0.0.1', '::1:80', '1.2.3.4:70000', '[::1]', 'a:b'])
    assert.throws(() => parseListen(bad), /--listen must be/, bad);
  for (const h of ['127.0.0.1', '127.9.9.9', '::1', 'localhost']) assert.ok(isLoopback(h), h);
  for (const h of ['0.0.0.0', '10.0.0.1', '::', 'dash.example', '128.0.0.1']) assert.ok(!isLoopback(h), h);
});

test('after sign-in a browser goes to a path on this site only', () => {
  assert.equal(safeNext('/scans/x?sort=port'), '/scans/x?sort=port');
  for (const bad of [
    '//evil.example/',
    '/\\evil.example',
    'https://evil.example/',
    'javascript:alert(1)',
    '',
    undefined,
    7,
  ])
    assert.equal(safeNext(bad), '/', String(bad));
});

test('passwords: scrypt at OWASP cost (N=2^17, r=8, p=1), salted, verified; tokens kept as SHA-256', async () => {
  const h = await hashPassword('correct horse battery staple');
  assert.match(h, /^scrypt\$131072\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
  assert.notEqual(await hashPassword('correct horse battery staple'), h, 'a new salt each time');
  assert.equal(await verifyPassword('correct horse battery staple', h), true);
  assert.equal(await verifyPassword('correct horse battery stapler', h), false);
  assert.equal(await verifyPassword('x', 'not a hash'), false);
  assert.match(sha256('odt_x'), /^[0-9a-f]{64}$/);
});

test('what a server said is kept as text, markup and all, folded to one line and bounded', () => {
  assert.equal(title('<html><title><script>x()</script> Archive</title>'), '<script>x()</script> Archive');
  assert.equal(title('<TITLE lang="en">\n  PACS\n  web </TITLE>'), 'PACS web');
  assert.equal(title('<title></title>'), null);
  assert.equal(title('no title here'), null);
  assert.equal(said('x'.repeat(5000))?.length, SAID_MAX);
  assert.equal(said('"><svg onload=1>'), '"><svg onload=1>');
});

test('alerts leave out what people acknowledged or accepted, finding by finding; fixed items always tell', () => {
  const d: ScanDiff = {
    type: 'diff',
    scanA: 'a',
    scanB: 'b',
    new: [
      { host: 'h1', port: 104, product: null, findings: ['dicom-open-query', 'dicom-any-calling-ae'] },
      { host: 'h2', port: 104, product: null, findings: ['dicom-open-query'] },
    ],
    fixed: [{ host: 'h3', port: 104, product: null, findings: ['dicom-open-query'], now: 'gone' }],
    changed: [{ host: 'h4', port: 8042, changes: ['patients 1 → 2 (+1)', 'new finding http-no-auth'] }],
  };
  const note = (host: string, port: number, finding: string, state: NoteRow['state']): NoteRow => ({
    host,
    port,
    finding,
    state,
    note: '',
    by: 'dpo',
    updated: '',
  });
  const quiet = unacknowledged(d, [
    note('h1', 104, 'dicom-open-query', 'acknowledged'),
    note('h2', 104, 'dicom-open-query', 'accepted-risk'),
    note('h3', 104, 'dicom-open-query', 'acknowledged'),
    note('h4', 8042, 'http-no-auth', 'acknowledged'),
  ]);
  assert.deepEqual(
    quiet.new.map((s) => s.host),
    ['h1'],
    'h1 still has a finding no one acknowledged',
  );
  assert.equal(quiet.fixed.length, 1);
  assert.deepEqual(quiet.changed, [{ host: 'h4', port: 8042, changes: ['patients 1 → 2 (+1)'] }]);
  const reopened = unacknowledged(d, [note('h2', 104, 'dicom-open-query', 'open')]);
  assert.equal(reopened.new.length, 2, 'a note set back to open alerts again');
});

test('serve: a non-loopback address without TLS, half of a TLS pair, a bad listen address: one line, exit 2', async () => {
  const plain = await runCli(['serve', '--listen', '0.0.0.0:8750', '--db', '/nonexistent/x.db']);
  assert.equal(plain.code, 2);
  assert.match(
    plain.stderr,
    /^opendoor: 0\.0\.0\.0 is not a loopback address: give --tls-cert and --tls-key, or --allow-plain-http/,
  );
  const half = await runCli(['serve', '--tls-cert', 'c.pem']);
  assert.equal(half.code, 2);
  assert.match(half.stderr, /--tls-cert and --tls-key go together/);
  const bad = await runCli(['serve', '--listen', 'nowhere']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr.split('\n').length, 2);
  const many = await runCli(['serve', '--scans-at-once', '0']);
  assert.equal(many.code, 2);
  assert.match(many.stderr, /--scans-at-once must be a whole number from 1 to 64/);
  const missing = await runCli(['serve', '--tls-cert', '/nonexistent/c.pem', '--tls-key', '/nonexistent/k.pem']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read the TLS certificate \/nonexistent\/c\.pem: ENOENT/);
});

test('progress streams: one store read a tick per followed scan, whatever the number of viewers; each sees the end', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'opendoor-hub-'));
  const store = await openStore(path.join(dir, 'hub.db'));
  try {
    await store.beginScan('s1', { targets: ['127.0.0.1'] });
    const hub = new ProgressHub(store, 40);
    const seen: string[][] = [[], [], []];
    const ended = seen.map(
      (states) =>
        new Promise<void>((resolve) => {
          const stop = hub.subscribe('s1', (row) => {
            states.push(row?.status ?? 'gone');
            if (row?.status === 'done') {
              stop();
              resolve();
            }
          });
        }),
    );
    await new Promise((r) => setTimeout(r, 300));
    const reads = hub.reads;
    assert.ok(reads >= 3 && reads <= 9, `${reads} reads in 300 ms at 40 ms a tick, for three viewers`);
    await store.finishScan('s1', 'done', 1, 10);
    await Promise.all(ended);
    for (const states of seen) {
      assert.equal(states.at(-1), 'done');
      assert.ok(states.length >= 2, 'a late viewer is handed the last row at once');
    }
    const after = hub.reads;
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(hub.reads, after, 'nobody left: the poll stopped');
    hub.close();
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serve on a store without accounts says how to add one; stopping mentions scans only when one runs', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'opendoor-serve-'));
  try {
    const db = path.join(dir, 'empty.db');
    const serve = await startServe('127.0.0.1', ['--db', db]);
    await serve.stop();
    const said = serve.stderr();
    assert.match(
      said,
      /no account yet, so nobody can sign in: add one with `opendoor user add NAME --role admin` and the same --db/,
    );
    assert.match(said, /opendoor: stopping\n$/);
    assert.doesNotMatch(said, /running scan|--resume/);
    assert.equal(serve.child.exitCode, 0);
    // with an account, nothing about accounts
    assert.equal(
      (await runCli(['user', 'add', 'alice', '--role', 'admin', '--db', db], 'a long enough password\n')).code,
      0,
    );
    const again = await startServe('127.0.0.1', ['--db', db]);
    await again.stop();
    assert.doesNotMatch(again.stderr(), /no account/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(
    stopping(['20261206-a1']),
    'opendoor: stopping: the running scan stops taking hosts (resume with opendoor scan --resume 20261206-a1)\n',
  );
  assert.match(
    stopping(['a', 'b']),
    /^opendoor: stopping: 2 running scans stop taking hosts \(resume with opendoor scan --resume a, opendoor scan --resume b\)/,
  );
});

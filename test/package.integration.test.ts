/**
 * The package as a user gets it: `npm pack`, then `npm install ./opendoor-x.y.z.tgz` in an empty
 * folder (registry packages only; install scripts allowed for opendoor and better-sqlite3 in the
 * folder's package.json, as npm 11 asks), the native helpers built at install where a compiler is, and `npx opendoor` scanning a
 * loopback DICOM peer. OPENDOOR_PACKAGE_TEST=0 skips it (the Node 24 run, which would only
 * compile better-sqlite3 a second time).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { acceptAll } from './harness/dicomPeer.js';
import { type HostilePeer, startHostile } from './harness/hostile.js';
import { SOURCE_DIR, removeDir, tempDir } from './harness/procs.js';

const ROOT = path.resolve(SOURCE_DIR, '../..');
const SKIP =
  process.env['OPENDOOR_PACKAGE_TEST'] === '0'
    ? 'OPENDOOR_PACKAGE_TEST=0: the install test runs once, on Node 20'
    : false;

function sh(cmd: string, args: string[], cwd: string, limitMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, npm_config_loglevel: 'error' },
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

let peer: HostilePeer | null = null;
const dirs: string[] = [];
after(async () => {
  await peer?.stop();
  dirs.forEach(removeDir);
});

test('npm pack → npm install in an empty folder → npx opendoor scans a loopback server', { skip: SKIP }, async () => {
  const version = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const packDir = tempDir('pack');
  const userDir = tempDir('user');
  dirs.push(packDir, userDir);
  // the suite has just built dist/: pack it as it is (prepack would rebuild it under the running tests)
  const pack = await sh('npm', ['pack', '--ignore-scripts', '--pack-destination', packDir], ROOT, 120_000);
  assert.equal(pack.code, 0, pack.out);
  const tgz = path.join(packDir, `opendoor-${version}.tgz`);
  assert.ok(existsSync(tgz), pack.out);
  // npm 11 runs a dependency's install scripts only where the project allows them
  writeFileSync(
    path.join(userDir, 'package.json'),
    // (a package installed from a file is allowed by its spec: what `npm install-scripts approve` writes)
    JSON.stringify({ name: 'a-user', private: true, allowScripts: { 'better-sqlite3': true, [`file:${tgz}`]: true } }),
  );
  const install = await sh('npm', ['install', '--no-audit', '--no-fund', tgz], userDir, 600_000);
  assert.equal(install.code, 0, install.out);
  const installed = path.join(userDir, 'node_modules', 'opendoor');
  assert.ok(existsSync(path.join(installed, 'dist', 'src', 'cli', 'main.js')), 'built output inside the package');
  const helper = existsSync(path.join(installed, 'dist', 'native', 'opendoor-sweep'));
  console.log(`# installed; native sweep helper ${helper ? 'built' : 'not built (no compiler)'}`);
  peer = await startHostile('127.0.75.20', 10104, ['read', { send: acceptAll() }, 'close']);
  const scan = await sh(
    'npx',
    [
      '--no-install',
      'opendoor',
      'scan',
      peer.host,
      '-p',
      '10104',
      '--depth',
      'detect',
      '--json',
      '--db',
      path.join(userDir, 'r.db'),
    ],
    userDir,
    60_000,
  );
  assert.equal(scan.code, 0, scan.out);
  const service = scan.out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { type: string; protocol?: string })
    .find((r) => r.type === 'service');
  assert.equal(service?.protocol, 'dicom');
  const help = await sh('npx', ['--no-install', 'opendoor', '--help'], userDir, 30_000);
  assert.match(help.out, /Examples:/);
});

/**
 * The package as a user gets it, by the README's own lines (between its `package-steps` markers),
 * pasted into bash in the checkout with HOME a temporary folder: `npm pack` into the folder it goes to,
 * its package.json allowing the install scripts npm 11 asks about, `npm install`; then no install script
 * left unreviewed, the native helpers built at install where a compiler is, and `npx opendoor` scanning
 * a loopback DICOM peer. OPENDOOR_PACKAGE_TEST=0 skips it (the Node 24 run, which would only compile
 * better-sqlite3 a second time).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
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

/** The README's package steps, as a user pastes them. */
export function packageSteps(readme: string): string[] {
  const m = /<!-- package-steps[^>]*-->\n([\s\S]*?)\n<!-- \/package-steps -->/.exec(readme);
  if (m?.[1] === undefined) throw new Error('README has no package-steps block');
  return m[1].split('\n').map((l) => l.replace(/^ {4}/, ''));
}

function sh(
  cmd: string,
  args: string[],
  cwd: string,
  limitMs: number,
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
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

test("the README's package steps, pasted: npm pack → npm install in its own folder → npx opendoor scans a loopback server", {
  skip: SKIP,
}, async () => {
  const version = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const steps = packageSteps(readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
  assert.ok(
    steps.some((l) => l.includes(`opendoor-${version}.tgz`)),
    "the README names this version's tarball",
  );
  const home = tempDir('home');
  dirs.push(home);
  // HOME is where ~ goes; npm keeps its own cache and settings. The suite has just built dist/: packed as
  // it is (prepack would rebuild it under the running tests), the only change to the lines pasted.
  const script = steps.map((l) => l.replace(/^(.*)npm pack /, '$1npm pack --ignore-scripts ')).join('\n');
  const userDir = path.join(home, 'opendoor-app');
  const env = {
    HOME: home,
    npm_config_cache: path.join(os.homedir(), '.npm'),
    npm_config_userconfig: path.join(os.homedir(), '.npmrc'),
  };
  const pasted = await sh('bash', ['-euo', 'pipefail', '-c', script], ROOT, 900_000, env);
  assert.equal(pasted.code, 0, pasted.out);
  assert.ok(!existsSync(path.join(ROOT, `opendoor-${version}.tgz`)), 'no tarball left in the checkout');
  assert.doesNotMatch(pasted.out, /not yet covered by allowScripts/);
  assert.match(pasted.out, /Usage: opendoor/, 'npx opendoor --help ran');
  const review = await sh('npm', ['install-scripts', 'ls'], userDir, 60_000, env);
  assert.match(review.out, /No packages with unreviewed install scripts/);
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
    env,
  );
  assert.equal(scan.code, 0, scan.out);
  const service = scan.out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { type: string; protocol?: string })
    .find((r) => r.type === 'service');
  assert.equal(service?.protocol, 'dicom');
});

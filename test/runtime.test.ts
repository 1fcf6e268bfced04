/**
 * A checkout whose native SQLite driver was built for another Node (installed under Node 20, run
 * with Node 24): one line naming the rebuild command, exit 1 — not 2, which is for bad usage. The
 * mismatch is what Node itself throws (ERR_DLOPEN_FAILED with its message), made by a preload that
 * replaces process.dlopen, so the test needs no second Node.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runCli } from './harness/cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'opendoor-abi-'));
const PRELOAD = path.join(tmp, 'abi-mismatch.cjs');
writeFileSync(
  PRELOAD,
  `process.dlopen = (module, file) => {
  const e = new Error("The module '" + file + "'\\nwas compiled against a different Node.js version using\\nNODE_MODULE_VERSION 115. This version of Node.js requires\\nNODE_MODULE_VERSION 137. Please try re-compiling or re-installing\\nthe module (for instance, using \`npm rebuild\` or \`npm install\`).");
  e.code = 'ERR_DLOPEN_FAILED';
  throw e;
};
`,
);

const EMPTY = path.join(tmp, 'empty.db'); // an empty file is a SQLite database
writeFileSync(EMPTY, '');

test('a SQLite driver built for another Node: one line with the rebuild command, exit 1', async () => {
  for (const args of [
    ['scan', '127.0.0.1', '-p', '9', '--db', path.join(tmp, 'a.db')],
    ['scans', '--db', EMPTY],
    ['user', 'token', 'alice', '--db', path.join(tmp, 'b.db')],
  ]) {
    const r = await runCli(args, '', { NODE_OPTIONS: `--require ${PRELOAD}` });
    assert.equal(r.code, 1, `${args[0]}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(
      lines[0] ?? '',
      /^opendoor: the SQLite driver \(better-sqlite3\) was built for another Node \(module version 115; Node [\d.]+ needs 137\): rebuild it with `npm rebuild better-sqlite3(?: --nodedir=\/\S*)?` in \//,
    );
    // against the running Node's own headers, whatever nodedir npm is configured with
    const prefix = path.resolve(process.execPath, '../..');
    if (existsSync(path.join(prefix, 'include', 'node', 'node_api.h')))
      assert.ok(lines[0]?.includes(`rebuild better-sqlite3 --nodedir=${prefix}\``), lines[0]);
  }
});

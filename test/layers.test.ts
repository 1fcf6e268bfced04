/**
 * scripts/check-layers.mjs on small trees of its own: an import up a layer, circles (a type-only import
 * and a dynamic one among them), ARCHITECTURE.md out of step with the code, and the known list.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { SOURCE_DIR } from './harness/procs.js';

const SCRIPT = path.join(SOURCE_DIR, '../../scripts/check-layers.mjs');
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A checkout of files (path → text) in a temporary folder; the check's exit code and output. */
function check(files: Record<string, string>): { code: number | null; out: string } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'layers-'));
  dirs.push(root);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), text);
  }
  const r = spawnSync(process.execPath, [SCRIPT, root], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

const layers = (known: Record<string, string[]> = {}) => JSON.stringify({ layers: ['top', 'low'], known });

/** top/a.ts → low/b.ts (down) and, back up, low/b.ts → top/a.ts (type-only, over lines); low/c.ts ⇄ low/d.ts (re-export, import()). */
const TREE = {
  'src/top/a.ts': "import { b } from '../low/b.js';\nexport interface A {\n  b: typeof b;\n}\n",
  'src/low/b.ts':
    "import type {\n  A, // over lines, with a comment\n} from '../top/a.js';\nexport const b: A | null = null;\n",
  'src/low/c.ts': "export { d } from './d.js';\n",
  'src/low/d.ts':
    "/** import('./b.js') in a comment is not an import */\nexport const d = async () => (await import('./c.js')).d;\n",
};

const DOC = (table: string, low = 'b.ts · c.ts · d.ts') =>
  `# Architecture\n\n\`\`\`\n${table}\n\`\`\`\n\n\`\`\`\n src/top/  a.ts\n   ▼\n src/low/  ${low}\n\`\`\`\n`;

test('an import up a layer, two circles and a stale ARCHITECTURE.md: each printed, exit 1', () => {
  const r = check({
    ...TREE,
    'scripts/layers.json': layers(),
    'ARCHITECTURE.md': DOC('top  → low\nlow  —', 'b.ts · c.ts (and ghost.ts)'),
  });
  assert.equal(r.code, 1, r.out);
  const lines = r.out.split('\n');
  for (const line of [
    'src/low/b.ts → src/top/a.ts (layer top above layer low)',
    'circle of 2 files: src/low/b.ts → src/top/a.ts → src/low/b.ts',
    'circle of 2 files: src/low/c.ts → src/low/d.ts → src/low/c.ts',
    'ARCHITECTURE.md does not name src/low/d.ts (add `d.ts` to its src/low/ block)',
    'ARCHITECTURE.md names src/low/ghost.ts in its src/low/ block: no such file',
    '    low → top',
  ])
    assert.ok(lines.includes(line), `${line}\nin\n${r.out}`);
  assert.ok(!r.out.includes('src/low/d.ts → src/low/b.ts'), 'an import in a comment is no import');
});

test('the known imports: warned, not failed; one that no longer happens fails until it leaves the list', () => {
  const doc = DOC('top  → low\nlow  —');
  const known = {
    'a reason to keep it a while': ['src/low/b.ts → src/top/a.ts', 'src/low/d.ts → src/low/c.ts'],
  };
  const ok = check({ ...TREE, 'scripts/layers.json': layers(known), 'ARCHITECTURE.md': doc });
  assert.equal(ok.code, 0, ok.out);
  assert.match(ok.out, /^warning: src\/low\/b\.ts → src\/top\/a\.ts \(layer top above layer low\): known, a reason/m);
  assert.match(ok.out, /^warning: src\/low\/d\.ts → src\/low\/c\.ts: known, in a circle, a reason/m);
  assert.match(ok.out, /no import up a layer, no circle \(2 known, warned above\); ARCHITECTURE\.md names every file/);

  const stale = { 'gone since': [...(known['a reason to keep it a while'] ?? []), 'src/top/a.ts → src/low/c.ts'] };
  const r = check({ ...TREE, 'scripts/layers.json': layers(stale), 'ARCHITECTURE.md': doc });
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /^known violation src\/top\/a\.ts → src\/low\/c\.ts no longer happens: remove it/m);
});

test('the layers in another order than layers.json, and a folder in no layer', () => {
  const r = check({
    ...TREE,
    'src/extra/e.ts': 'export const e = 1;\n',
    'scripts/layers.json': layers({ why: ['src/low/b.ts → src/top/a.ts', 'src/low/d.ts → src/low/c.ts'] }),
    'ARCHITECTURE.md': `# Architecture\n\n\`\`\`\nlow  —\ntop  → low\n\`\`\`\n\n\`\`\`\n src/low/  b.ts · c.ts · d.ts\n src/top/  a.ts\n\`\`\`\n`,
  });
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /^src\/extra\/e\.ts: its folder src\/extra\/ is in no layer of scripts\/layers\.json/m);
  assert.match(r.out, /^ARCHITECTURE\.md shows the layers as low, top; scripts\/layers\.json says top, low$/m);
  assert.match(r.out, /^ARCHITECTURE\.md's table lists the layers as low, top$/m);
  assert.match(r.out, /^ARCHITECTURE\.md does not name src\/extra\/e\.ts: it has no ` src\/extra\/` block$/m);
});

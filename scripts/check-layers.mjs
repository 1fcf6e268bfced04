#!/usr/bin/env node
/**
 * The layers of src/, checked from the imports themselves (`npm run check:layers`, part of `npm test`).
 *
 * Usage: node scripts/check-layers.mjs [ROOT]   (ROOT: the checkout, by default the one holding this script)
 *
 * Reads ROOT/scripts/layers.json: `layers`, the folders of src/ from the top of the stack to its bottom (a
 * file may import its own layer and the layers below it), and `known`, imports known to break that rule
 * (each with why and who removes it): they print a warning and do not fail, and one that no longer breaks
 * the rule fails until it leaves the list. Then it fails (exit 1), printing each, when
 *   - an import in src/ goes up a layer: `src/a/b.ts → src/c/d.ts (layer c above layer a)`;
 *   - imports close a circle (of files, any layer): the circle's files, one concrete path through them;
 *   - a src file's folder is in no layer;
 *   - ARCHITECTURE.md lists the layers (its ` src/x/` block headers) in another order than layers.json,
 *     leaves a src file unnamed (each folder's block names its files), or names one that does not exist.
 *
 * Imports read: `import … from '…'`, `export … from '…'`, `import '…'` and `import('…')` (dynamic, and
 * in type positions) of relative paths. Type-only imports count: ARCHITECTURE.md says why.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..'));
const rel = (p) => path.relative(root, p).split(path.sep).join('/');

const config = JSON.parse(readFileSync(path.join(root, 'scripts/layers.json'), 'utf8'));
/** @type {string[]} top first */
const LAYERS = config.layers;
const rank = new Map(LAYERS.map((name, i) => [name, i]));

const problems = [];
const warnings = [];

/** @type {Array<{from: string, to: string, why: string}>} `known` is { why: ["src/a.ts → src/b.ts", …] } */
const KNOWN = Object.entries(config.known ?? {}).flatMap(([why, pairs]) =>
  pairs.flatMap((pair) => {
    const [from, to, more] = pair.split(' → ');
    if (to !== undefined && more === undefined) return [{ from, to, why }];
    problems.push(`scripts/layers.json: a known import is "src/a.ts → src/b.ts", not "${pair}"`);
    return [];
  }),
);

// --- the files and their imports -------------------------------------------------------------------

function walk(dir, out = []) {
  for (const e of readdirSync(dir).sort()) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.endsWith('.ts')) out.push(rel(p));
  }
  return out;
}
const files = walk(path.join(root, 'src'));
const srcFiles = new Set(files);

// `from '…'` is only ever the end of an import or export (whatever its clause holds: lines, comments, type),
// `import '…'` a bare one, `import('…')` a dynamic one or a type
const IMPORT = /\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** The src file a relative specifier names ('./x.js' → x.ts), or null (a package, JSON, an asset). */
function resolve(from, spec) {
  if (!spec.startsWith('.')) return null;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  for (const c of [base.replace(/\.js$/, '.ts'), `${base}.ts`, `${base}/index.ts`]) if (srcFiles.has(c)) return c;
  return null;
}

/** @type {Map<string, string[]>} file → the src files it imports */
const graph = new Map();
let imports = 0;
for (const f of files) {
  // whole-line comments left out (JSDoc may show an import); a trailing one is read, and would show
  const text = readFileSync(path.join(root, f), 'utf8')
    .split('\n')
    .filter((l) => !/^\s*(\/\/|\/\*|\*)/.test(l))
    .join('\n');
  const targets = new Set();
  for (const m of text.matchAll(IMPORT)) {
    const t = resolve(f, m[1] ?? m[2] ?? m[3]);
    if (t !== null) targets.add(t);
  }
  graph.set(f, [...targets]);
  imports += targets.size;
}

const layerOf = (f) => f.split('/')[1] ?? '';
for (const f of files) {
  if (f.split('/').length < 3) problems.push(`${f}: a file directly in src/ belongs to no layer (move it into one)`);
  else if (!rank.has(layerOf(f)))
    problems.push(`${f}: its folder src/${layerOf(f)}/ is in no layer of scripts/layers.json (add it there)`);
}

const knownKey = (a, b) => `${a} → ${b}`;
const allowed = new Map(KNOWN.map((k) => [knownKey(k.from, k.to), k]));
const edgeExists = (a, b) => graph.get(a)?.includes(b) === true;

// --- imports up a layer ----------------------------------------------------------------------------

const upward = new Set();
for (const [from, tos] of graph)
  for (const to of tos) {
    const a = rank.get(layerOf(from));
    const b = rank.get(layerOf(to));
    if (a === undefined || b === undefined || b >= a) continue;
    const line = `${from} → ${to} (layer ${layerOf(to)} above layer ${layerOf(from)})`;
    upward.add(knownKey(from, to));
    const k = allowed.get(knownKey(from, to));
    if (k === undefined) problems.push(line);
    else warnings.push(`${line}: known, ${k.why}`);
  }

// --- circles: strongly connected components (Tarjan) of the graph without the known imports -----------

function circles(skip) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const out = [];
  let n = 0;
  const next = (v) => (graph.get(v) ?? []).filter((w) => !skip.has(knownKey(v, w)));
  const visit = (v) => {
    index.set(v, n);
    low.set(v, n++);
    stack.push(v);
    on.add(v);
    for (const w of next(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) === index.get(v)) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || next(v).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of files) if (!index.has(v)) visit(v);
  return { sccs: out, next };
}

/** The shortest way round from a file of the circle back to it, inside the circle. */
function onePath(scc, next) {
  const inside = new Set(scc);
  const start = scc[0];
  const prev = new Map();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift();
    for (const w of next(v)) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const way = [v];
        while (way[0] !== start) way.unshift(prev.get(way[0]));
        return [...way, start].join(' → ');
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return start;
}

const strict = circles(new Set(allowed.keys()));
for (const scc of strict.sccs)
  problems.push(
    `circle of ${scc.length} file${scc.length === 1 ? '' : 's'}: ${onePath(scc, strict.next)}` +
      (scc.length > 2 ? `\n    all its files: ${scc.join(', ')}` : ''),
  );

// a known import must still exist and still break a rule (up a layer, or inside a circle)
const loose = circles(new Set());
const circleOf = new Map(loose.sccs.flatMap((scc, i) => scc.map((f) => [f, i])));
for (const k of KNOWN) {
  const key = knownKey(k.from, k.to);
  if (!edgeExists(k.from, k.to))
    problems.push(`known violation ${key} no longer happens: remove it from scripts/layers.json`);
  else if (!upward.has(key)) {
    if (circleOf.has(k.from) && circleOf.get(k.from) === circleOf.get(k.to))
      warnings.push(`${key}: known, in a circle, ${k.why}`);
    else problems.push(`known violation ${key} breaks no rule now: remove it from scripts/layers.json`);
  }
}

// --- ARCHITECTURE.md: the same order, every file named, no file that is not there --------------------

const doc = readFileSync(path.join(root, 'ARCHITECTURE.md'), 'utf8').split('\n');
/** @type {Array<{dir: string, text: string}>} each ` src/x/` header line with the lines under it */
const blocks = [];
let current = null;
for (const line of doc) {
  const header = /^ src\/([\w./-]+?)\/(?:\s|$)/.exec(line);
  if (header !== null) {
    current = { dir: `src/${header[1]}`, text: line.slice(header[0].length) };
    blocks.push(current);
  } else if (/^ \S|^\S|^```/.test(line)) current = null;
  else if (current !== null) current.text += `\n${line}`;
}

const order = blocks.map((b) => b.dir.split('/')[1]).filter((l, i, all) => i === 0 || all[i - 1] !== l);
if (order.join(' ') !== LAYERS.join(' '))
  problems.push(
    `ARCHITECTURE.md shows the layers as ${order.join(', ')}; scripts/layers.json says ${LAYERS.join(', ')}`,
  );

// the table of layers and what each imports (`serve       → notify, report, …`, `util        —`), known imports aside
const table = doc.filter((l) => /^[a-z]+ +(→ [a-z, ]+|—)$/.test(l));
const uses = new Map(LAYERS.map((l) => [l, new Set()]));
for (const [from, tos] of graph)
  for (const to of tos)
    if (layerOf(from) !== layerOf(to) && !allowed.has(knownKey(from, to))) uses.get(layerOf(from))?.add(layerOf(to));
const width = Math.max(...LAYERS.map((l) => l.length)) + 1;
const truth = LAYERS.map((l) => {
  const below = LAYERS.filter((m) => uses.get(l).has(m));
  return `${l.padEnd(width)}${below.length === 0 ? '—' : `→ ${below.join(', ')}`}`;
});
if (table.length === 0)
  problems.push(`ARCHITECTURE.md has no table of the layers; the code says:\n${truth.join('\n')}`);
else if (table.map((l) => l.split(' ')[0]).join(' ') !== LAYERS.join(' '))
  problems.push(`ARCHITECTURE.md's table lists the layers as ${table.map((l) => l.split(' ')[0]).join(', ')}`);
for (const [i, line] of table.entries())
  if (truth[i] !== undefined && line.replace(/ +/g, ' ') !== truth[i].replace(/ +/g, ' '))
    problems.push(`ARCHITECTURE.md's table says\n    ${line}\n  the imports say\n    ${truth[i]}`);

const named = new Map();
for (const b of blocks) {
  const names = named.get(b.dir) ?? new Set();
  named.set(b.dir, names);
  // a bare name (`scan.ts`) is a file of the block's folder; a path (`engine/plan.ts`, `../phi.ts`) is checked to exist
  for (const m of b.text.matchAll(/(?<![\w./-])((?:\.\.\/|[\w-]+\/)*)([\w-]+(?:\.d)?\.ts)\b/g)) {
    const [, dirs, name] = m;
    if (dirs === '') {
      names.add(name);
      if (!srcFiles.has(`${b.dir}/${name}`))
        problems.push(`ARCHITECTURE.md names ${b.dir}/${name} in its ${b.dir}/ block: no such file`);
    } else {
      const candidates = [path.posix.normalize(`${b.dir}/${dirs}${name}`), `src/${dirs}${name}`, `${dirs}${name}`];
      if (!candidates.some((c) => srcFiles.has(c)))
        problems.push(`ARCHITECTURE.md names ${dirs}${name} in its ${b.dir}/ block: no such file`);
    }
  }
}
for (const f of files) {
  const dir = path.posix.dirname(f);
  const name = path.posix.basename(f);
  if (!named.has(dir)) problems.push(`ARCHITECTURE.md does not name ${f}: it has no \` ${dir}/\` block`);
  else if (!named.get(dir).has(name))
    problems.push(`ARCHITECTURE.md does not name ${f} (add \`${name}\` to its ${dir}/ block)`);
}
// anywhere else in it, a `src/…ts` path must exist
for (const m of doc.join('\n').matchAll(/(?<![\w./-])(src\/[\w./-]+?\.ts)\b/g))
  if (!srcFiles.has(m[1])) problems.push(`ARCHITECTURE.md names ${m[1]}: no such file`);

// --- the verdict -----------------------------------------------------------------------------------

for (const w of warnings) console.log(`warning: ${w}`);
if (problems.length > 0) {
  for (const p of [...new Set(problems)]) console.log(p);
  console.log(`check-layers: ${new Set(problems).size} problem(s) in ${files.length} files, ${imports} imports`);
  process.exit(1);
}
console.log(
  `check-layers: ${files.length} files, ${imports} imports, ${LAYERS.length} layers: no import up a layer, no circle` +
    `${warnings.length > 0 ? ` (${warnings.length} known, warned above)` : ''}; ARCHITECTURE.md names every file`,
);

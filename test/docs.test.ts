/**
 * What a newcomer reads, checked against the code: the README's defaults and `--help` from one source
 * (cli/defaults.ts), docs/ covering every command, option and API route, the command before its
 * examples, no link out of the clone, and no dependency asking for a Node that the README does not
 * explain.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { Command } from 'commander';
import { SCAN_DEFAULTS } from '../src/cli/defaults.js';
import { buildProgram } from '../src/cli/program.js';
import { VERSION } from '../src/cli/version.js';
import { REPORT_FORMATS } from '../src/report/formats.js';
import { ROUTES } from '../src/serve/routes.js';
import { DEFAULT_PORTS } from '../src/targets/ports.js';
import { runCli } from './harness/cli.js';
import { SOURCE_DIR } from './harness/procs.js';

const ROOT = path.resolve(SOURCE_DIR, '../..');
const read = (f: string) => readFileSync(path.join(ROOT, f), 'utf8');
const README = read('README.md');

/** The README's scan option table: `--max-queries N` (5000) → 5000. */
function readmeDefault(flag: string): string | undefined {
  return new RegExp(`\`${flag}(?: [A-Z]+)?\` \\(([0-9]+)`).exec(README)?.[1];
}

test('scan defaults: the README, `scan --help` and the code say the same (one source, cli/defaults.ts)', async () => {
  const flags: Record<string, string> = {
    '--max-queries': SCAN_DEFAULTS.maxQueries,
    '--count-budget': SCAN_DEFAULTS.countBudget,
    '--concurrency': SCAN_DEFAULTS.concurrency,
    '--rate': SCAN_DEFAULTS.rate,
    '--timeout': SCAN_DEFAULTS.timeout,
  };
  const help = (await runCli(['scan', '--help'])).stdout.replace(/\s+/g, ' ');
  for (const [flag, value] of Object.entries(flags)) {
    assert.equal(readmeDefault(flag), value, `README's ${flag}`);
    assert.match(help, new RegExp(`${flag} <[a-z]+> .*?\\(default: "${value}"\\)`), `--help's ${flag}`);
  }
  // the bounds table and the prose give the query bound with a thousands separator
  const grouped = Number(SCAN_DEFAULTS.maxQueries).toLocaleString('en-US');
  assert.match(README, new RegExp(`\`--max-queries\` \\| 120 s, ${grouped} \\|`));
  assert.match(README, new RegExp(`default \`--max-queries\` of ${grouped}`));
  assert.ok(!/`--max-queries`[^|\n]*\b2,?000\b/.test(README), 'no stale default of 2,000 left');
  const ports = DEFAULT_PORTS.join(',');
  assert.match(README, new RegExp(`\`-p, --ports\` \\| default \`${ports}\``));
  assert.match(help, new RegExp(`default: ${ports}`));
});

function commands(c: Command, prefix = ''): Array<[string, Command]> {
  return c.commands.flatMap((s) => [
    [`${prefix}${s.name()}`, s] as [string, Command],
    ...commands(s, `${prefix}${s.name()} `),
  ]);
}

/** docs/cli.md's section of one command: from its heading to the next ('' when it has none). */
function section(doc: string, name: string): string {
  const start = doc.indexOf(`\n## opendoor ${name}\n`);
  if (start < 0) return '';
  const next = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, next < 0 ? undefined : next);
}

// Everything missing is listed at once: a new command or option is a row in docs/cli.md
// (`| \`--flag <x>\` | meaning | \`default\` |` under `## opendoor COMMAND`), a new API route one in docs/api.md.
test('docs/cli.md: every command and option of --help, with its default', () => {
  const doc = read('docs/cli.md');
  const none = { stdout: () => undefined, stderr: () => undefined, stdin: () => '', stdinLines: async function* () {} };
  const all = commands(buildProgram(none, () => undefined));
  assert.ok(all.length >= 10);
  const missing: string[] = [];
  for (const [name, cmd] of all) {
    const text = section(doc, name);
    if (text === '') missing.push(`section "## opendoor ${name}"`);
    for (const o of cmd.options) {
      const flag = o.long ?? o.short ?? '';
      const named = new RegExp(`^\\| \`(?:-\\w, )?${flag}[\` ]`);
      const row = text.split('\n').find((l) => named.test(l));
      if (row === undefined) missing.push(`${name} ${flag}`);
      else if (o.defaultValue !== undefined && !row.includes(`\`${String(o.defaultValue)}\``))
        missing.push(`${name} ${flag}: its default \`${o.defaultValue}\``);
    }
  }
  assert.deepEqual(missing, [], `docs/cli.md lacks: ${missing.join('; ')}`);
});

test('report formats from the one table: `report --help`, `help report`, docs/cli.md and docs/exports.md name each', async () => {
  const names = REPORT_FORMATS.map((f) => f.name);
  const feeds = REPORT_FORMATS.filter((f) => f.honeypotOption).map((f) => f.name);
  for (const argv of [
    ['report', '--help'],
    ['help', 'report'],
  ]) {
    const help = (await runCli(argv)).stdout.replace(/\s+/g, ' ');
    assert.ok(help.includes(`--format <format> ${names.join(' | ')} (default: "md")`), `${argv.join(' ')}: ${help}`);
    assert.ok(help.includes(`in the feeds (${feeds.join(', ')})`), argv.join(' '));
  }
  const row = section(read('docs/cli.md'), 'report')
    .split('\n')
    .find((l) => l.startsWith('| `--format <format>` |'));
  assert.ok(row?.includes(names.join(' \\| ')), `docs/cli.md: ${row}`);
  const exports = read('docs/exports.md');
  for (const n of names) assert.match(exports, new RegExp(`^\\| \`${n}\` \\|`, 'm'), `docs/exports.md: ${n}`);
});

test('docs/api.md: every /api/ route of the route table, with who may call it', () => {
  const doc = read('docs/api.md');
  const api = Object.entries(ROUTES).filter(([k]) => k.includes(' /api/'));
  assert.ok(api.length >= 10);
  const missing: string[] = [];
  for (const [key, access] of api) {
    const [method, url] = key.split(' ') as [string, string];
    const shown = `\`${method} ${url.replace(/:(\w+)/g, '{$1}')}\``;
    const row = doc.split('\n').find((l) => l.startsWith(`| ${shown} |`));
    if (row?.includes(`| ${access} |`) !== true) missing.push(`${shown} (${access})`);
  }
  assert.deepEqual(missing, [], `docs/api.md lacks rows: ${missing.join('; ')}`);
  assert.match(doc, /every\*\* path under `\/api\/`, unknown ones included/);
});

test('`npx opendoor` in the checkout runs the command it builds (main.js executable after every build)', async () => {
  const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn('npx', ['--no-install', 'opendoor', '--version'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('close', (code) => resolve({ code, out }));
  });
  assert.equal(r.code, 0, r.out);
  assert.equal(r.out.trim(), VERSION);
});

test('the README: the two commands first, the command before its examples, links that stay in the clone', () => {
  assert.match(README, /^# opendoor\n\n[^\n]*\n[^\n]*\n\n {4}\.\/scripts\/setup\.sh && npm run demo\n/);
  assert.match(README, /\n {4}npm test\n/);
  const using = README.slice(README.indexOf('## Using it'));
  const firstExample = using.search(/\n {4}opendoor /);
  assert.ok(firstExample > 0);
  for (const how of ['npx opendoor', 'npm link'])
    assert.ok(using.indexOf(how) >= 0 && using.indexOf(how) < firstExample, `${how} comes before the examples`);
  assert.ok(!README.includes('../shared/'), 'no link to files outside the clone');
  for (const m of README.matchAll(/\]\((docs\/[\w./-]+)\)/g)) assert.ok(read(m[1] as string).length > 0, m[1]);
  for (const page of ['cli.md', 'records.md', 'api.md', 'exports.md'])
    assert.ok(read('docs/README.md').includes(`(${page})`), `docs/README.md links ${page}`);
  assert.ok(read('.gitignore').split('\n').includes('*.tgz'), '`npm pack` leaves no tarball to commit');
});

/** Does an `engines.node` range admit Node 20.19.0? (the forms npm packages use: >=N, N, ^N.m.p, N.x, a || b). */
function admitsNode20(range: string): boolean {
  const v = 20_019_000;
  return range.split('||').some((alt) => {
    const m = /^(>=|\^|~)?\s*v?(\d+)(?:\.(\d+|x))?(?:\.(\d+|x))?$/.exec(alt.trim());
    if (m === null) return true; // a form this check does not know: npm would say so, not us
    const part = (p: string | undefined) => (p === undefined || p === 'x' ? 0 : Number(p));
    const major = Number(m[2]);
    const w = major * 1e6 + part(m[3]) * 1e3 + part(m[4]);
    return m[1] === '>=' ? v >= w : major === 20 && v >= w;
  });
}

test('dependencies that ask for more than Node 20.19 are the ones the README explains (EBADENGINE)', () => {
  assert.equal(admitsNode20('>=22'), false);
  assert.equal(admitsNode20('20 || >=22'), true);
  assert.equal(admitsNode20('^20.19.0 || ^24.0.0'), true);
  assert.equal(admitsNode20('^20.20.0'), false);
  const lock = JSON.parse(read('package-lock.json')) as {
    packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
  };
  const asking = Object.entries(lock.packages)
    .filter(([k, p]) => k !== '' && !Array.isArray(p.engines) && p.engines?.node !== undefined)
    .filter(([, p]) => !admitsNode20((p.engines as { node: string }).node))
    .map(([k, p]) => `${k.split('node_modules/').pop()}@${(p.version ?? '').split('.')[0]}`);
  assert.deepEqual([...new Set(asking)].sort(), ['content-disposition@3', 'cookie@2']);
  const which = README.slice(README.indexOf('### Which Node'));
  for (const p of asking) assert.ok(which.includes(`\`${p}\``), `README's "Which Node" explains ${p}`);
});

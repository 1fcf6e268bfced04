/**
 * Audit time, before and after: the same world of stacks audited at the default depth by this
 * build and by a baseline build of another commit (BENCH_BASELINE, default the last commit before
 * the protocol guesses raced), interleaved in one run. The world: the fleet without its tarpit
 * (Orthanc open and locked, dcmqrscp guessable and known-peers-only, DICOM-TLS with and without a
 * client certificate, HTTP on a DICOM port, an empty host), Odil and dcmjs-dimse, three honeypot
 * personas, and web pages that list patients (one a viewer linking its objects by WADO-URI); then
 * the same world with the fleet's tarpit.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI } from '../test/harness/cli.js';
import { FLEET } from '../test/harness/fleet.js';
import { DICOMHAWK, DICOMPOT, QEEQBOX, startPersona } from '../test/harness/personas.js';
import { SOURCE_DIR, startPinned } from '../test/harness/procs.js';

/** The last commit before the protocol guesses raced (issue 23): a tarpit cost two timeouts there. */
export const DEFAULT_BASELINE = '07183c1';

const TIMEOUT_MS = 3000;
const REPO = path.resolve(SOURCE_DIR, '..', '..');
export const HOSTS = { odil: '127.0.78.2', dimse: '127.0.78.3', pots: ['127.0.78.4', '127.0.78.5', '127.0.78.6'] };
export const PAGES = ['127.0.78.10', '127.0.78.11', '127.0.78.12'];

/** The baseline's CLI, built in a temporary worktree that borrows this checkout's node_modules. */
function buildBaseline(ref: string): { cli: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'opendoor-baseline-'));
  execFileSync('git', ['-C', REPO, 'worktree', 'add', '--detach', '--force', dir, ref], { stdio: 'ignore' });
  symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
  execFileSync(process.execPath, [path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], {
    stdio: 'inherit',
  });
  execFileSync('sh', [path.join(dir, 'scripts', 'build-native.sh')], { cwd: dir, stdio: 'ignore' });
  return {
    cli: path.join(dir, 'dist', 'src', 'cli', 'main.js'),
    remove: () => {
      execFileSync('git', ['-C', REPO, 'worktree', 'remove', '--force', dir], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const row = (i: number) =>
  `<tr><td>AUDIT^P${i}</td><td>ID${i}</td><td>1970010${i % 9}</td><td>2026030${i % 9}</td></tr>`;
const page = (body: string) => `<html><head><title>PACS</title></head><body>${body}</body></html>`;
const SITES: Array<Record<string, string>> = [
  {
    '/': page(
      `<table><tr><th>Patient Name</th><th>Patient ID</th><th>Birth Date</th><th>Study Date</th></tr>${[0, 1, 2, 3].map(row).join('')}</table><a href="/?p=2">next</a>`,
    ),
    '/?p=2': page(
      `<table><tr><th>Patient Name</th><th>Patient ID</th><th>Birth Date</th><th>Study Date</th></tr>${[4, 5].map(row).join('')}</table>`,
    ),
  },
  { '/': page('<h1>Radiologie</h1><a href="/liste">Patientenliste</a>'), '/liste': page('<p>leer</p>') },
  {
    '/': page(
      `<table><tr><th>Nom du patient</th><th>IPP</th><th>Date de l'examen</th></tr><tr><td>AUDIT^A</td><td>1</td><td>20260101</td><td><a href="/wado?requestType=WADO&amp;studyUID=1.2.3&amp;seriesUID=1.2.3.4&amp;objectUID=1.2.3.4.5">voir</a></td></tr></table>`,
    ),
  },
];

export async function startWorld(): Promise<() => Promise<void>> {
  const stops: Array<() => Promise<void>> = [];
  const scp = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test', 'harness', 'dcmjsDimseScp.js');
  const odil = await startPinned(
    '/usr/bin/python3',
    [path.join(SOURCE_DIR, 'odil_scp.py'), '11112'],
    HOSTS.odil,
    [11112],
  );
  const dimse = await startPinned(process.execPath, [scp, '11112'], HOSTS.dimse, [11112]);
  stops.push(odil.stop, dimse.stop);
  for (const [i, p] of [DICOMPOT, DICOMHAWK, QEEQBOX].entries())
    stops.push((await startPersona(HOSTS.pots[i] as string, 11112, p)).stop);
  for (const [i, pages] of SITES.entries()) {
    const srv = http.createServer((req, res) => {
      const body = pages[req.url ?? '/'];
      if (body === undefined) res.writeHead(404).end();
      else res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
    });
    await new Promise<void>((r) => srv.listen(8080, PAGES[i], () => r()));
    stops.push(() => new Promise<void>((r) => srv.close(() => r())));
  }
  return async () => {
    await Promise.all(stops.map((s) => s()));
  };
}

/** A record with what changes from run to run left out (times, ids), as sorted canonical JSON. */
function canonical(line: string): string {
  const drop = /elapsed|scanId|^at$|time|started|finished|date/i;
  const walk = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(walk)
      : typeof v === 'object' && v !== null
        ? Object.fromEntries(
            Object.entries(v)
              .filter(([k]) => !drop.test(k))
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([k, x]) => [k, walk(x)]),
          )
        : v;
  return JSON.stringify(walk(JSON.parse(line)));
}

interface Audit {
  ms: number;
  records: string[];
}

function timedScan(cli: string, targets: string[]): Promise<Audit> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // one database per build: a build refuses a database a newer build has migrated
    const db = path.join(os.tmpdir(), `opendoor-bench-audit-${process.pid}-${cli === CLI ? 'this' : 'baseline'}.db`);
    const child = spawn(
      process.execPath,
      [cli, 'scan', ...targets, '--json', '--db', db, '--timeout', `${TIMEOUT_MS}`],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.on('error', reject);
    child.on('close', () =>
      resolve({
        ms: performance.now() - started,
        records: out
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map(canonical)
          .sort(),
      }),
    );
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

/** Runs with the fleet already started; answers the table's rows. */
export async function auditBench(runs: number): Promise<string[][]> {
  // BENCH_AUDIT_DIFF=FILE writes both builds' records (canonical, '-' baseline, '+' this build) there
  const ref = process.env['BENCH_BASELINE'] ?? DEFAULT_BASELINE;
  if (!existsSync(path.join(REPO, '.git'))) return [['audit', `skipped: ${REPO} is not a git checkout`]];
  const baseline = buildBaseline(ref);
  const stopWorld = await startWorld();
  try {
    const world = [...Object.values(FLEET).filter((h) => h !== FLEET.tarpit), HOSTS.odil, HOSTS.dimse, ...HOSTS.pots];
    const rows = [
      ['world', 'baseline', 'baseline ms', 'this build ms', 'this / baseline', 'records', 'records that differ'],
    ];
    // the same world, then with the fleet's tarpit (accepts, never answers): it should cost one
    // timeout (3 s) and the protocol race's delay, not two timeouts
    for (const [name, targets] of [
      [`${world.length + PAGES.length} hosts, default ports, --depth count`, [...world, ...PAGES]],
      [`the same and a tarpit (--timeout ${TIMEOUT_MS})`, [...world, ...PAGES, FLEET.tarpit]],
    ] as const) {
      const before: number[] = [];
      const after: number[] = [];
      let last: { b: Audit; a: Audit } | null = null;
      for (let i = 0; i < runs; i++) {
        const b = await timedScan(baseline.cli, [...targets]);
        const a = await timedScan(CLI, [...targets]);
        before.push(b.ms);
        after.push(a.ms);
        last = { b, a };
      }
      const [mb, ma] = [median(before), median(after)];
      const only = (x: string[], y: string[]) => x.filter((r) => !y.includes(r)).length;
      const differ = last === null ? 0 : only(last.a.records, last.b.records) + only(last.b.records, last.a.records);
      const diffFile = process.env['BENCH_AUDIT_DIFF'];
      if (diffFile !== undefined && last !== null)
        writeFileSync(
          diffFile,
          [...last.b.records.map((r) => `- ${r}`), ...last.a.records.map((r) => `+ ${r}`)].join('\n'),
        );
      rows.push([
        name,
        ref,
        mb.toFixed(0),
        ma.toFixed(0),
        (ma / mb).toFixed(2),
        `${last?.b.records.length ?? 0} / ${last?.a.records.length ?? 0}`,
        `${differ}`,
      ]);
    }
    return rows;
  } finally {
    await stopWorld();
    baseline.remove();
  }
}

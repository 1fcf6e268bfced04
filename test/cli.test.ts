/** Bad user input: one clear line on stderr, exit status 2, no probe sent. Output channels. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { boundedLines } from '../src/targets/input.js';
import http from 'node:http';
import { runCli, runCliOnTty, startCli } from './harness/cli.js';
import { countingServer } from './harness/counting.js';
import { NATIVE_SKIP } from './harness/native.js';
import { SOURCE_DIR } from './harness/procs.js';
import { startSilentPort } from './harness/silent.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'opendoor-cli-'));
const LONG_LINE = path.join(tmp, 'long-line.txt');
writeFileSync(LONG_LINE, `127.0.0.1\n${'1'.repeat(2 * 1024 * 1024)}\n`);

const usage: Array<[string, string[], RegExp]> = [
  ['unknown option', ['scan', '127.0.0.1', '--bogus'], /unknown option '--bogus'/],
  ['malformed CIDR', ['scan', '192.0.2.0/33'], /prefix length must be 0\.\.32/],
  ['short IPv4', ['scan', '127.1'], /not a valid IP address/],
  [
    'unreadable -iL file',
    ['scan', '-iL', '/nonexistent/targets.txt'],
    /cannot read target file \/nonexistent\/targets\.txt: ENOENT/,
  ],
  ['bad port', ['scan', '127.0.0.1', '-p', '104,70000'], /port 70000 is outside 1\.\.65535/],
  ['bad depth', ['scan', '127.0.0.1', '--depth', 'deep'], /--depth must be one of detect, access, count, retrieve/],
  ['bad timeout', ['scan', '127.0.0.1', '--timeout', '1s'], /--timeout must be a whole number/],
  [
    'bad connect timeout',
    ['scan', '127.0.0.1', '--connect-timeout', '10'],
    /--connect-timeout must be a whole number from 50 to 600000, got "10"/,
  ],
  ['no targets', ['scan'], /no targets/],
  ['bad exclude', ['scan', '127.0.0.1', '--exclude', '127.0.0.300'], /--exclude: "127\.0\.0\.300"/],
  ['unknown command', ['sacn'], /unknown command 'sacn'/],
  // Node's own recursive mkdir never returns on this path: it must still be one line, at once
  [
    'database where no directory can be made',
    ['scan', '127.0.0.1', '--db', '/proc/opendoor/x.db'],
    /cannot open database \/proc\/opendoor\/x\.db: ENOENT/,
  ],
  [
    'database that is not one',
    ['scan', '127.0.0.1', '--db', '/etc/hostname'],
    /cannot open database \/etc\/hostname: SQLITE_NOTADB/,
  ],
  [
    'a line of 2 MiB',
    ['scan', '-iL', LONG_LINE],
    /cannot read target file .*long-line\.txt: line 2 is longer than 1 MiB/,
  ],
  [
    'endless binary (-iL /dev/zero)',
    ['scan', '-iL', '/dev/zero'],
    /cannot read target file \/dev\/zero: binary content/,
  ],
  [
    'binary file (-iL /dev/urandom)',
    ['scan', '-iL', '/dev/urandom'],
    /cannot read target file \/dev\/urandom: binary content/,
  ],
  [
    'endless exclude file',
    ['scan', '127.0.0.1', '--exclude-file', '/dev/zero'],
    /cannot read exclude file \/dev\/zero: binary content/,
  ],
  [
    'output file that cannot be written',
    ['scan', '127.0.0.1', '-o', '/proc/opendoor/out.jsonl'],
    /cannot write \/proc\/opendoor\/out\.jsonl: ENOENT/,
  ],
];

for (const [name, args, message] of usage) {
  test(`usage error: ${name} → exit 2 and one line`, async () => {
    const r = await runCli(args);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, message);
  });
}

test('-iL - (streamed): an endless line or binary input ends the scan with one line and exit 2', async () => {
  for (const [input, message] of [
    ['x'.repeat(2 * 1024 * 1024), /^opendoor: -:1: a line longer than 1 MiB: not a target list$/],
    ['127.0.0.1\n\u0000\u0001garbage', /^opendoor: -:2: binary content \(a NUL byte\): not a target list$/],
  ] as const) {
    const r = await runCli(['scan', '-iL', '-', '-p', '9', '--db', path.join(tmp, 'bad-stdin.db')], input);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr.trim(), message);
    assert.ok(r.ms < 10000, `${r.ms} ms`);
  }
});

test('-iL: a bad line is named by file and line, before any probe', async () => {
  const file = path.join(tmp, 'targets.txt');
  writeFileSync(file, '127.0.0.1\n# comment\n127.0.0.999\n');
  const r = await runCli(['scan', '-iL', file]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim(), `opendoor: ${file}:3: "127.0.0.999": not a valid IP address`);
});

test('--ae-titles: an invalid title is a usage error naming the line', async () => {
  const file = path.join(tmp, 'aes.txt');
  writeFileSync(file, 'GOOD\nTHIS-TITLE-IS-FAR-TOO-LONG\n');
  const r = await runCli(['scan', '127.0.0.1', '--ae-titles', file]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /aes\.txt:2: not a valid AE title/);
});

test('-iL - reads targets from stdin; excluded targets are never touched', async () => {
  const srv = await countingServer('127.0.79.2');
  const port = srv.port;
  try {
    const r = await runCli(
      ['scan', '-iL', '-', '-p', String(port), '--exclude', '127.0.79.2', '--json', '--timeout', '300'],
      '127.0.79.2\n127.0.79.3\n',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(srv.touched(), 0);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { type: string; targets: number };
    assert.equal(summary.type, 'summary');
    assert.equal(summary.targets, 1);
  } finally {
    srv.close();
  }
});

test('-iL FILE of 131,072 lines: every host scanned once (a list that long once overflowed the stack)', async () => {
  const file = path.join(tmp, 'long-list.txt');
  const lines: string[] = [];
  for (let i = 0; i < 131072; i++) lines.push(`127.${80 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  const r = await runCli([
    'scan',
    '-iL',
    file,
    '-p',
    '9',
    '--rate',
    '100000',
    '--timeout',
    '1000',
    '--json',
    '--db',
    path.join(tmp, 'long-list.db'),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout.trim()) as { targets: number; services: number };
  assert.deepEqual([summary.targets, summary.services], [131072, 0]);
});

test('every target excluded: the scan runs with 0 targets and says why on stderr', async () => {
  const r = await runCli([
    'scan',
    '127.0.79.2',
    '127.0.79.3',
    '--exclude',
    '127.0.79.0/24',
    '--json',
    '--db',
    path.join(tmp, 'empty.db'),
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout.trim()) as { targets: number }).targets, 0);
  assert.match(r.stderr, /nothing to scan: every target is excluded/);
});

test('progress on a terminal: done/total, rate, ETA, services and exposed; none with --quiet or off a terminal', async () => {
  // 256 closed hosts at 150 connects/s: two seconds, so the progress line is drawn in the middle too
  const args = ['scan', '127.0.79.0/24', '-p', '9', '--rate', '150', '--db', path.join(tmp, 'progress.db')];
  const tty = await runCliOnTty(args);
  assert.equal(tty.code, 0, tty.output);
  const lines = tty.output.split('\r').filter((l) => l.startsWith('opendoor: ') && l.includes(' hosts, '));
  assert.ok(lines.length >= 2, tty.output);
  for (const l of lines)
    assert.match(l, /^opendoor: \d+\/256 hosts, \d+\.\d\/s, ETA (\d+ s|\?), 0 services, 0 exposed\x1b\[K/);
  assert.match(lines.at(-1) ?? '', /^opendoor: 256\/256 hosts, .* 0 services, 0 exposed/);
  assert.match(tty.output, /256 targets, 0 services, 0 exposed/); // the human summary follows the progress line
  const quiet = await runCliOnTty([...args, '--quiet']);
  assert.equal(quiet.code, 0, quiet.output);
  assert.doesNotMatch(quiet.output, / hosts, /);
  const piped = await runCli(args);
  assert.equal(piped.code, 0, piped.stderr);
  assert.equal(piped.stderr, '');
});

test('human summary on stdout, JSON Lines in -o, diagnostics never on stdout', async () => {
  const out = path.join(tmp, 'out.jsonl');
  const r = await runCli(['scan', '127.0.79.9', '-p', '9', '-o', out, '--timeout', '300', '--debug']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^HOST\s+PORT/);
  assert.match(r.stdout, /scan \d{8}-\d{6}Z-[0-9a-f]{6}: 1 target, 0 services, 0 exposed/);
  const lines = readFileSync(out, 'utf8').trim().split('\n');
  assert.equal(lines.length, 1);
  assert.equal((JSON.parse(lines[0] ?? '{}') as { type: string }).type, 'summary');
  assert.doesNotMatch(r.stdout, /opendoor (debug|info|warn)/);
});

test('-iL - streams: the first host is probed before the input ends, a repeated host only once', async () => {
  const srv = http.createServer((_q, r) => r.end('ok'));
  const hosts = ['127.0.79.20', '127.0.79.21'];
  await Promise.all(
    hosts.map(
      (h, i) =>
        new Promise<void>((r) =>
          (i === 0 ? srv : http.createServer((_q, s) => s.end('ok')).unref()).listen(18080, h, () => r()),
        ),
    ),
  );
  try {
    const child = startCli(['scan', '-iL', '-', '-p', '18080', '--json', '--timeout', '1000']);
    child.stdin?.write(`${hosts[0]}\n`);
    let out = '';
    child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    const deadline = Date.now() + 10000;
    while (!out.includes('"type":"service"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.match(out, new RegExp(`"host":"${hosts[0]}"`), 'probed while stdin was still open');
    child.stdin?.end(`${hosts[1]}\n${hosts[0]}\n`);
    const code = await new Promise<number | null>((r) => child.on('close', r));
    assert.equal(code, 0);
    const services = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; host?: string })
      .filter((x) => x.type === 'service');
    assert.deepEqual(services.map((s) => s.host).sort(), hosts);
  } finally {
    srv.close();
  }
});

test('ports a sweeper reported open are probed without a second sweep; one closed since gives no record', async () => {
  const srv = await countingServer('127.0.79.30');
  const port = srv.port;
  const services = (stdout: string) =>
    stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; host?: string; port?: number })
      .filter((x) => x.type === 'service');
  try {
    // masscan -oL: the open port, and a port that was open when masscan looked and is closed now
    const fromMasscan = await runCli(
      ['scan', '-iL', '-', '--json', '--timeout', '500'],
      `#masscan\nopen tcp ${port} 127.0.79.30 1700000000\nopen tcp 9 127.0.79.31 1700000000\n# end\n`,
    );
    assert.equal(fromMasscan.code, 0, fromMasscan.stderr);
    const direct = srv.touched();
    srv.reset();
    const swept = await runCli(['scan', '-iL', '-', '-p', String(port), '--json', '--timeout', '500'], '127.0.79.30\n');
    assert.equal(swept.code, 0, swept.stderr);
    assert.ok(direct > 0);
    assert.equal(srv.touched(), direct + 1, 'the plain list costs one sweep connect more; the masscan list none');
    assert.deepEqual(
      services(fromMasscan.stdout).map((s) => `${s.host}:${s.port}`),
      [`127.0.79.30:${port}`],
    );
    assert.deepEqual(
      services(swept.stdout).map((s) => `${s.host}:${s.port}`),
      [`127.0.79.30:${port}`],
    );
  } finally {
    srv.close();
  }
});

test('nmap -oX on stdin streams too: a host is probed as soon as its element closes', async () => {
  const srv = http.createServer((_q, r) => r.end('ok'));
  await new Promise<void>((r) => srv.listen(0, '127.0.79.40', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  try {
    const child = startCli(['scan', '-iL', '-', '--json', '--timeout', '1000']);
    child.stdin?.write(
      `<?xml version="1.0"?>\n<nmaprun scanner="nmap">\n<host><status state="up"/>\n<address addr="127.0.79.40" addrtype="ipv4"/><ports><port protocol="tcp" portid="${port}"><state state="open"/></port></ports>\n</host>\n`,
    );
    let out = '';
    child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    const deadline = Date.now() + 10000;
    while (!out.includes('"type":"service"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.match(out, new RegExp(`"host":"127.0.79.40","port":${port}`), 'probed while nmap was still writing');
    child.stdin?.end('</nmaprun>\n');
    assert.equal(await new Promise<number | null>((r) => child.on('close', r)), 0);
  } finally {
    srv.close();
  }
});

test('--connect-timeout bounds the sweep alone: a filtered port costs it, not --timeout', async () => {
  const silent = await startSilentPort('127.0.79.50');
  try {
    const t0 = performance.now();
    const r = await runCli([
      'scan',
      '127.0.79.50',
      '-p',
      String(silent.port),
      '--connect-timeout',
      '300',
      '--timeout',
      '8000',
      '--json',
      '--debug',
    ]);
    const ms = performance.now() - t0;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(ms < 4000, `took ${ms.toFixed(0)} ms; --timeout alone would be 8000`);
    assert.match(r.stderr, new RegExp(`127\\.0\\.79\\.50: no answer on ${silent.port}`));
    assert.equal(r.stdout.trim().split('\n').length, 1, 'only the summary: a filtered port is no service');
  } finally {
    silent.stop();
  }
});

test('the JavaScript sweep (no native helper) and the native one report the same services', {
  skip: NATIVE_SKIP,
}, async () => {
  const servers = await Promise.all(
    ['127.0.79.60', '127.0.79.61'].map(async (host) => {
      const srv = http.createServer((_q, r) => r.end('ok'));
      await new Promise<void>((r) => srv.listen(18081, host, () => r()));
      return srv;
    }),
  );
  try {
    const services = (stdout: string) =>
      stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; host?: string; port?: number; protocol?: string })
        .filter((x) => x.type === 'service')
        .map((s) => `${s.host}:${s.port} ${s.protocol}`)
        .sort();
    const args = [
      'scan',
      '127.0.79.56-63',
      '-p',
      '9,18081',
      '--depth',
      'detect',
      '--json',
      '--timeout',
      '1000',
      '--debug',
    ];
    const native = await runCli(args, '', { OPENDOOR_SWEEPER: 'native' });
    const js = await runCli(args, '', { OPENDOOR_SWEEPER: 'js' });
    const small = await runCli(args);
    assert.equal(native.code, 0, native.stderr);
    assert.equal(js.code, 0, js.stderr);
    assert.match(native.stderr, /sweep: native/);
    assert.match(js.stderr, /sweep: js/);
    assert.match(small.stderr, /sweep: js/, 'a small scan (16 connects) sweeps on the calling thread');
    assert.deepEqual(services(small.stdout), services(js.stdout));
    assert.deepEqual(services(native.stdout), ['127.0.79.60:18081 http', '127.0.79.61:18081 http']);
    assert.deepEqual(services(js.stdout), services(native.stdout));
  } finally {
    for (const s of servers) s.close();
  }
});

test('stdin lines: the same lines however the input is cut into chunks (LF, CRLF, no final newline)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.constantFrom('127.0.0.1', '', '# c', '::1', 'saddr,sport', 'é'), { maxLength: 20 }),
      fc.boolean(),
      fc.boolean(),
      fc.array(fc.nat(), { maxLength: 6 }),
      async (lines, crlf, finalNewline, cuts) => {
        const text = lines.join(crlf ? '\r\n' : '\n') + (finalNewline && lines.length > 0 ? '\n' : '');
        const bytes = Buffer.from(text);
        const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks = [0, ...at].map((from, i) => bytes.subarray(from, [...at, bytes.length][i]));
        const got: string[] = [];
        for await (const l of boundedLines(chunks, '-')) got.push(l);
        // as readline gives them: a newline ends a line, it does not start an empty one
        const want = text.split('\n').map((l) => l.replace(/\r$/, ''));
        if (want.at(-1) === '') want.pop();
        assert.deepEqual(got, want);
      },
    ),
  );
});

test('--version answers the package version, at once; the runtime is one that is tested', async () => {
  const pkg = JSON.parse(readFileSync(path.resolve(SOURCE_DIR, '../../package.json'), 'utf8')) as {
    version: string;
    engines: { node: string };
  };
  const r = await runCli(['--version']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.trim(), pkg.version);
  const major = Number(process.versions.node.split('.')[0]);
  console.log(`# node ${process.version}`);
  assert.ok([20, 24].includes(major), `Node ${process.version}`);
});

test('a scan with the JavaScript sweep ends when its work does (a deadline timer left over held every exit)', async () => {
  const r = await runCli(['scan', '127.0.0.1', '-p', '9', '--depth', 'detect', '--timeout', '3000'], undefined, {
    OPENDOOR_SWEEPER: 'js',
  });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.ms < 1500, `${Math.round(r.ms)} ms`);
});

/**
 * Sweep benchmarks: a loopback range with the default ports (the local fleet hidden in it), opendoor
 * vs nmap -sT --script dicom-ping, probes per second and peak RSS; and opendoor's RSS when the
 * target count grows from 100 k to 1 M (closed ports).
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { CLI } from '../test/harness/cli.js';
import { DEFAULT_PORTS } from '../src/targets/ports.js';

interface Measured {
  ms: number;
  peakKb: number;
  stdout: string;
}

/** Run under GNU time for the peak RSS (the -f line is the last of stderr). */
export function measured(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  stdinFile?: string,
): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // GNU time's %M misses children of children; the helpers are small (a few MiB each)
    const stdin: number | 'ignore' = stdinFile !== undefined ? openSync(stdinFile, 'r') : 'ignore';
    const child = spawn('/usr/bin/time', ['-f', 'PEAK_KB %M', cmd, ...args], {
      stdio: [stdin, 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    }) as ChildProcessByStdio<null, Readable, Readable>;
    if (stdin !== 'ignore') closeSync(stdin); // the child has its own copy
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('close', () =>
      resolve({ ms: performance.now() - started, peakKb: Number(/PEAK_KB (\d+)/.exec(stderr)?.[1] ?? NaN), stdout }),
    );
  });
}

function addresses(cidr: string): number {
  return 2 ** (32 - Number(cidr.split('/')[1]));
}

/**
 * The ground truth: what the kernel says listens in an IPv4 range on the given ports
 * (/proc/net/tcp, state 0A), as "host:port". A wildcard listener would count on every address.
 */
function listening(cidr: string, ports: readonly number[]): Set<string> {
  const [base, bits] = cidr.split('/');
  const toInt = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  const first = toInt(base ?? '0.0.0.0');
  const size = addresses(cidr);
  const out = new Set<string>();
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const [, local, , state] = line.trim().split(/\s+/);
    if (state !== '0A' || local === undefined || bits === undefined) continue;
    const [hexIp = '', hexPort = ''] = local.split(':');
    const port = parseInt(hexPort, 16);
    if (!ports.includes(port)) continue;
    const octets = (hexIp.match(/../g) ?? []).map((h) => parseInt(h, 16)).reverse(); // little-endian
    const ip = octets.join('.');
    if (ip === '0.0.0.0')
      for (let i = 0; i < size; i++)
        out.add(
          `${[(first + i) >>> 24, ((first + i) >>> 16) & 255, ((first + i) >>> 8) & 255, (first + i) & 255].join('.')}:${port}`,
        );
    else if (toInt(ip) - first >= 0 && toInt(ip) - first < size) out.add(`${ip}:${port}`);
  }
  return out;
}

/** host:port of every open port in nmap's normal output. */
function nmapOpen(stdout: string): Set<string> {
  const out = new Set<string>();
  let host = '';
  for (const line of stdout.split('\n')) {
    const h = /^Nmap scan report for (\S+)/.exec(line);
    if (h !== null) host = h[1] ?? '';
    const p = /^(\d+)\/tcp\s+open\b/.exec(line);
    if (p !== null) out.add(`${host}:${p[1]}`);
  }
  return out;
}

/** host:port of every service record opendoor printed. */
function opendoorOpen(stdout: string): Set<string> {
  const out = new Set<string>();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{"type":"service"')) continue;
    const r = JSON.parse(line) as { host: string; port: number };
    out.add(`${r.host}:${r.port}`);
  }
  return out;
}

export async function sweepBench(range: string): Promise<string[][]> {
  const db = mkdtempSync(path.join(os.tmpdir(), 'opendoor-sweep-'));
  try {
    const ports = DEFAULT_PORTS.join(',');
    const probes = addresses(range) * DEFAULT_PORTS.length;
    const nmap = await measured('nmap', ['-sT', '-Pn', '-n', '-p', ports, '--script', 'dicom-ping', range]);
    const opendoor = (name: string, env: NodeJS.ProcessEnv) =>
      measured(
        process.execPath,
        [
          CLI,
          'scan',
          range,
          '--depth',
          'detect',
          '--rate',
          '100000',
          '--concurrency',
          '64',
          '--timeout',
          '3000',
          '--json',
          '--db',
          path.join(db, `${name}.db`),
        ],
        env,
      );
    const native = await opendoor('native', {});
    const js = await opendoor('js', { OPENDOOR_SWEEPER: 'js' });
    const truth = listening(range, DEFAULT_PORTS);
    const found = (m: Measured, re: RegExp) => String((m.stdout.match(re) ?? []).length);
    const open = (seen: Set<string>) => {
      const missed = [...truth].filter((s) => !seen.has(s));
      return `${truth.size - missed.length}/${truth.size}${missed.length > 0 ? ` (missed ${missed.join(' ')})` : ''}`;
    };
    const row = (tool: string, m: Measured, seen: Set<string>, dicom: RegExp) => [
      tool,
      String(addresses(range)),
      String(probes),
      String(Math.round(m.ms)),
      String(Math.round((probes * 1000) / m.ms)),
      (m.peakKb / 1024).toFixed(0),
      open(seen),
      found(m, dicom),
      (nmap.ms / m.ms).toFixed(2),
    ];
    const od = /"protocol":"dicom"/g;
    return [
      [
        'tool',
        'addresses',
        'probes',
        'ms',
        'probes/s',
        'peak RSS MiB',
        'listening ports found',
        'DICOM found',
        'throughput vs nmap',
      ],
      row('nmap -sT --script dicom-ping', nmap, nmapOpen(nmap.stdout), /DICOM Service Provider discovered/g),
      row('opendoor --depth detect (native sweep)', native, opendoorOpen(native.stdout), od),
      row('opendoor --depth detect (OPENDOOR_SWEEPER=js)', js, opendoorOpen(js.stdout), od),
    ];
  } finally {
    rmSync(db, { recursive: true, force: true });
  }
}

/** A list file of every address of an IPv4 CIDR, in a seeded random order (as zmap writes them). */
function writeShuffledList(file: string, cidr: string): void {
  const [base] = cidr.split('/');
  const first = (base ?? '0.0.0.0').split('.').reduce((n, o) => n * 256 + Number(o), 0);
  const n = addresses(cidr);
  const order = new Uint32Array(n).map((_, i) => i);
  let x = 0x2545f491;
  for (let i = n - 1; i > 0; i--) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const j = (x >>> 0) % (i + 1);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const lines: string[] = [];
  for (const i of order) {
    const v = first + i;
    lines.push(`${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`);
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}

/** Peak RSS of opendoor over growing target counts, one closed port each; then the largest as a list file and on stdin. */
export async function memoryBench(ranges: string[]): Promise<string[][]> {
  const db = mkdtempSync(path.join(os.tmpdir(), 'opendoor-mem-'));
  const rows = [['targets', 'given as', 'ms', 'hosts/s', 'peak RSS MiB']];
  const common = [
    '-p',
    '9',
    '--depth',
    'detect',
    '--rate',
    '100000',
    '--concurrency',
    '64',
    '--timeout',
    '1000',
    '--json',
    '--quiet',
  ];
  const run = async (targets: number, how: string, args: string[], stdin?: string) => {
    const r = await measured(
      process.execPath,
      [CLI, 'scan', ...args, ...common, '--db', path.join(db, `m${rows.length}.db`)],
      {},
      stdin,
    );
    rows.push([
      String(targets),
      how,
      String(Math.round(r.ms)),
      String(Math.round((targets * 1000) / r.ms)),
      (r.peakKb / 1024).toFixed(0),
    ]);
  };
  try {
    for (const range of ranges) await run(addresses(range), `range ${range}`, [range]);
    const largest = ranges.at(-1);
    if (largest !== undefined) {
      const list = path.join(db, 'list.txt');
      writeShuffledList(list, largest);
      await run(addresses(largest), '-iL FILE, shuffled', ['-iL', list]);
      await run(addresses(largest), '-iL - (stdin), shuffled', ['-iL', '-'], list);
    }
  } finally {
    rmSync(db, { recursive: true, force: true });
  }
  return rows;
}

/**
 * Sweep benchmarks: a loopback range with the default ports (the local fleet hidden in it), opendoor
 * vs nmap -sT --script dicom-ping, probes per second and peak RSS; and opendoor's RSS when the
 * target count grows from 100 k to 1 M (closed ports).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI } from '../test/harness/cli.js';
import { DEFAULT_PORTS } from '../src/targets/ports.js';

interface Measured {
  ms: number;
  peakKb: number;
  stdout: string;
}

/** Run under GNU time for the peak RSS (the -f line is the last of stderr). */
function measured(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // GNU time's %M misses children of children; the helpers are small (a few MiB each)
    const child = spawn('/usr/bin/time', ['-f', 'PEAK_KB %M', cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('close', () => resolve({ ms: performance.now() - started, peakKb: Number(/PEAK_KB (\d+)/.exec(stderr)?.[1] ?? NaN), stdout }));
  });
}

function addresses(cidr: string): number {
  return 2 ** (32 - Number(cidr.split('/')[1]));
}

export async function sweepBench(range: string): Promise<string[][]> {
  const db = mkdtempSync(path.join(os.tmpdir(), 'opendoor-sweep-'));
  try {
    const ports = DEFAULT_PORTS.join(',');
    const probes = addresses(range) * DEFAULT_PORTS.length;
    const nmap = await measured('nmap', ['-sT', '-Pn', '-n', '-p', ports, '--script', 'dicom-ping', range]);
    const opendoor = (name: string, env: NodeJS.ProcessEnv) =>
      measured(process.execPath, [CLI, 'scan', range, '--depth', 'detect', '--rate', '100000', '--concurrency', '64', '--timeout', '3000', '--json', '--db', path.join(db, `${name}.db`)], env);
    const native = await opendoor('native', {});
    const js = await opendoor('js', { OPENDOOR_SWEEPER: 'js' });
    const found = (m: Measured, re: RegExp) => String((m.stdout.match(re) ?? []).length);
    const row = (tool: string, m: Measured, dicom: RegExp) => [tool, String(addresses(range)), String(probes), String(Math.round(m.ms)), String(Math.round((probes * 1000) / m.ms)), (m.peakKb / 1024).toFixed(0), found(m, dicom), (nmap.ms / m.ms).toFixed(2)];
    const od = /"protocol":"dicom"/g;
    return [
      ['tool', 'addresses', 'probes', 'ms', 'probes/s', 'peak RSS MiB', 'DICOM found', 'throughput vs nmap'],
      row('nmap -sT --script dicom-ping', nmap, /DICOM Service Provider discovered/g),
      row('opendoor --depth detect (native sweep)', native, od),
      row('opendoor --depth detect (OPENDOOR_SWEEPER=js)', js, od),
    ];
  } finally {
    rmSync(db, { recursive: true, force: true });
  }
}

/** Peak RSS of opendoor over growing target counts, one closed port each. */
export async function memoryBench(ranges: string[]): Promise<string[][]> {
  const db = mkdtempSync(path.join(os.tmpdir(), 'opendoor-mem-'));
  const rows = [['targets', 'ms', 'hosts/s', 'peak RSS MiB']];
  try {
    for (const [i, range] of ranges.entries()) {
      const r = await measured(process.execPath, [CLI, 'scan', range, '-p', '9', '--depth', 'detect', '--rate', '100000', '--concurrency', '64', '--timeout', '1000', '--json', '--quiet', '--db', path.join(db, `m${i}.db`)]);
      rows.push([String(addresses(range)), String(Math.round(r.ms)), String(Math.round((addresses(range) * 1000) / r.ms)), (r.peakKb / 1024).toFixed(0)]);
    }
  } finally {
    rmSync(db, { recursive: true, force: true });
  }
  return rows;
}

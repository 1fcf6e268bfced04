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
function measured(cmd: string, args: string[]): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('/usr/bin/time', ['-f', 'PEAK_KB %M', cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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
    const od = await measured(process.execPath, [CLI, 'scan', range, '--depth', 'detect', '--rate', '100000', '--concurrency', '64', '--timeout', '3000', '--json', '--db', path.join(db, 'sweep.db')]);
    const nmapDicom = (nmap.stdout.match(/DICOM Service Provider discovered/g) ?? []).length;
    const odDicom = (od.stdout.match(/"protocol":"dicom"/g) ?? []).length;
    return [
      ['tool', 'addresses', 'probes', 'ms', 'probes/s', 'peak RSS MiB', 'DICOM found'],
      ['nmap -sT dicom-ping', String(addresses(range)), String(probes), String(Math.round(nmap.ms)), String(Math.round((probes * 1000) / nmap.ms)), (nmap.peakKb / 1024).toFixed(0), String(nmapDicom)],
      ['opendoor --depth detect', String(addresses(range)), String(probes), String(Math.round(od.ms)), String(Math.round((probes * 1000) / od.ms)), (od.peakKb / 1024).toFixed(0), String(odDicom)],
      ['ratio opendoor/nmap', '', '', '', (nmap.ms / od.ms).toFixed(2), (od.peakKb / nmap.peakKb).toFixed(1), ''],
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

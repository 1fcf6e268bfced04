/**
 * The mutation farm: hundreds of hosts whose answers (from a real Orthanc: DICOM, HTTP and DICOM
 * over TLS) are mutated deterministically from (seed, host, port, connection), scanned at --depth
 * retrieve. Every scan must end, every host must have its records, no host may reach its deadline
 * (that would be a hang the watchdog caught), memory stays bounded and nothing crashes. A failure
 * names its seed, host and port: FARM_SEEDS=SEED replays it exactly.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI } from './harness/cli.js';
import { OPEN_ORTHANC } from './harness/fleet.js';
import { startFarm, startTlsFront, type FarmPort } from './harness/mutants.js';
import { removeDir, tempDir } from './harness/procs.js';
import { makeCertificate, startOrthanc, type TestServer } from './harness/servers.js';
import { makeArchive } from './harness/studies.js';

const SEEDS = (process.env.FARM_SEEDS ?? '1,2,3,4').split(',').map(Number);
const HOSTS = Number(process.env.FARM_HOSTS ?? 150);
const SCAN_LIMIT_MS = 240_000;
const ORTHANC = '127.0.93.2';
const TLS_FRONT = '127.0.93.3';

interface Rec {
  type: string;
  host: string;
  port: number;
  protocol: string;
  error: { kind: string; detail: string } | null;
}

function scan(args: string[]): Promise<{
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  peakKiB: number;
  ms: number;
}> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn('/usr/bin/time', ['-f', 'peak-rss-kib %M', process.execPath, CLI, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, XDG_DATA_HOME: tempDir('farm-home') },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), SCAN_LIMIT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      const peak = /peak-rss-kib (\d+)/.exec(stderr);
      resolve({
        code,
        signal,
        stdout,
        stderr,
        peakKiB: peak !== null ? Number(peak[1]) : -1,
        ms: performance.now() - started,
      });
    });
  });
}

describe('mutation farm', () => {
  let orthanc: TestServer;
  let front: { stop(): Promise<void> };
  let dataDir: string;
  let certDir: string;

  before(async () => {
    dataDir = tempDir('farm-studies');
    const archive = makeArchive(dataDir, {
      patients: 2,
      studiesPerPatient: 2,
      seriesPerStudy: 1,
      instancesPerSeries: 2,
    });
    orthanc = await startOrthanc({ host: ORTHANC, files: archive.files, config: OPEN_ORTHANC, dicomWeb: true });
    const cert = makeCertificate('farm.opendoor.test');
    certDir = cert.dir;
    front = await startTlsFront(
      TLS_FRONT,
      2762,
      { host: ORTHANC, port: 4242 },
      { key: readFileSync(cert.key), cert: readFileSync(cert.cert) },
    );
  });

  after(async () => {
    await front?.stop();
    await orthanc?.stop();
    removeDir(dataDir);
    removeDir(certDir);
  });

  const ports: FarmPort[] = [
    { port: 11112, kind: 'pdu', backend: { host: ORTHANC, port: 4242 } },
    { port: 8042, kind: 'bytes', backend: { host: ORTHANC, port: 8042 } },
    { port: 2762, kind: 'bytes', backend: { host: TLS_FRONT, port: 2762 } },
  ];

  SEEDS.forEach((seed, n) => {
    test(`seed ${seed}: ${HOSTS} mutating hosts x 3 ports, --depth retrieve: the scan ends, every host recorded`, async () => {
      const hosts = Array.from({ length: HOSTS }, (_, i) => `127.0.${94 + n}.${i + 1}`);
      const farm = await startFarm(seed, hosts, ports);
      const dir = tempDir('farm');
      try {
        const list = path.join(dir, 'hosts.txt');
        writeFileSync(list, `${hosts.join('\n')}\n`);
        const r = await scan([
          'scan',
          '-iL',
          list,
          '-p',
          '11112,8042,2762',
          '--depth',
          'retrieve',
          '--json',
          '--timeout',
          '500',
          '--count-budget',
          '3000',
          '--host-timeout',
          '90000',
          '--db',
          path.join(dir, 'farm.db'),
        ]);
        const where = `seed ${seed} (replay: FARM_SEEDS=${seed} FARM_HOSTS=${HOSTS})`;
        assert.equal(r.signal, null, `${where}: the scan did not end within ${SCAN_LIMIT_MS} ms`);
        assert.equal(r.code, 0, `${where}: exit ${r.code}\n${r.stderr.slice(-2000)}`);
        assert.doesNotMatch(r.stderr, /internal error|TypeError|RangeError|unhandled/i, where);
        const records = r.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Rec);
        const services = records.filter((x) => x.type === 'service');
        const deadlines = services.filter((s) => s.error?.kind === 'host-deadline');
        assert.deepEqual(
          deadlines.map((s) => `${s.host}:${s.port} ${s.error?.detail}`),
          [],
          `${where}: hosts held to their deadline`,
        );
        const byHost = new Map<string, number>();
        for (const s of services) byHost.set(s.host, (byHost.get(s.host) ?? 0) + 1);
        const missing = hosts.filter((h) => byHost.get(h) !== 3);
        assert.deepEqual(missing, [], `${where}: hosts without their 3 records`);
        assert.ok(r.peakKiB > 0 && r.peakKiB < 320 * 1024, `${where}: peak RSS ${Math.round(r.peakKiB / 1024)} MiB`);
        const kinds = new Map<string, number>();
        for (const s of services)
          kinds.set(
            `${s.port}/${s.protocol}/${s.error?.kind ?? 'ok'}`,
            (kinds.get(`${s.port}/${s.protocol}/${s.error?.kind ?? 'ok'}`) ?? 0) + 1,
          );
        // what the farm did, for the log: outcome kinds, connections served, time and memory
        console.log(
          `# ${where}: ${farm.connections} connections, ${Math.round(r.ms)} ms, peak ${Math.round(r.peakKiB / 1024)} MiB; ${[
            ...kinds,
          ]
            .sort()
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}`,
        );
      } finally {
        await farm.stop();
        removeDir(dir);
      }
    });
  });
});

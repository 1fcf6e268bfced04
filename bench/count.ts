/**
 * Counting benchmark: an archive of 20,000 synthetic instances on dcmqrscp and on Orthanc, counted
 * by opendoor (--depth count) and by dcmtk's findscu walking the same levels (STUDY with the
 * study-level count keys; SERIES and IMAGE queries where the server leaves them empty), in one run.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI } from '../test/harness/cli.js';
import { OPEN_ORTHANC } from '../test/harness/fleet.js';
import { removeDir, tempDir } from '../test/harness/procs.js';
import { startDcmqrscp, startOrthanc, type TestServer } from '../test/harness/servers.js';
import type { ArchiveShape } from '../test/harness/studies.js';
import { bigArchive } from './archive.js';

/** Runs a program to its end: its time, stdout and stderr. */
export function run(
  cmd: string,
  args: string[],
  cwd?: string,
): Promise<{ ms: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', () => resolve({ ms: performance.now() - started, stdout, stderr }));
  });
}

/** findscu -v logs each pending response's data set after "Find Response: N (Pending)": one map per response. */
function responses(log: string): Array<Map<string, string>> {
  return log
    .split(/Find Response: \d+ \(Pending\)/)
    .slice(1)
    .map((chunk) => {
      // the data set ends at the separator line, or where findscu starts logging something else
      const block = chunk.split(/-----|Find Response|Request Identifiers|Sending Find/)[0] ?? '';
      const tags = new Map<string, string>();
      for (const m of block.matchAll(/\((\w{4},\w{4})\) \w\w \[([^\]]*)\]/g))
        if (!tags.has(m[1] ?? '')) tags.set(m[1] ?? '', (m[2] ?? '').trim());
      return tags;
    });
}

async function queryFiles(dir: string, lines: string[][]): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < lines.length) {
      const i = next++;
      const txt = path.join(dir, `q${i}.txt`);
      writeFileSync(txt, `${(lines[i] ?? []).join('\n')}\n`);
      files[i] = path.join(dir, `q${i}.dcm`);
      await run('dump2dcm', ['-q', txt, files[i] as string]);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return files;
}

/** The reference walk; only findscu's own run time is counted (query files are prepared untimed). */
export async function findscuWalk(
  host: string,
  port: number,
  aet: string,
  work: string,
): Promise<{ ms: number; instances: number }> {
  const base = ['-S', '-v', '-aec', aet, host, String(port)];
  const study = await run('findscu', [
    ...base,
    '-k',
    'QueryRetrieveLevel=STUDY',
    '-k',
    'StudyInstanceUID',
    '-k',
    'NumberOfStudyRelatedSeries',
    '-k',
    'NumberOfStudyRelatedInstances',
  ]);
  let ms = study.ms;
  const studies = responses(study.stderr);
  if (studies.every((r) => /^\d+$/.test(r.get('0020,1208') ?? ''))) {
    return { ms, instances: studies.reduce((a, r) => a + Number(r.get('0020,1208')), 0) };
  }
  const seriesQ = await queryFiles(
    path.join(work, 'series'),
    studies.map((r) => [
      '(0008,0052) CS [SERIES]',
      `(0020,000d) UI [${r.get('0020,000d') ?? ''}]`,
      '(0020,000e) UI',
      '(0020,1209) IS',
    ]),
  );
  const seriesRun = await run('findscu', [...base, ...seriesQ]);
  ms += seriesRun.ms;
  const series = responses(seriesRun.stderr);
  if (series.every((r) => /^\d+$/.test(r.get('0020,1209') ?? ''))) {
    return { ms, instances: series.reduce((a, r) => a + Number(r.get('0020,1209')), 0) };
  }
  const imageQ = await queryFiles(
    path.join(work, 'image'),
    series.map((r) => [
      '(0008,0052) CS [IMAGE]',
      `(0020,000d) UI [${r.get('0020,000d') ?? ''}]`,
      `(0020,000e) UI [${r.get('0020,000e') ?? ''}]`,
      '(0008,0018) UI',
    ]),
  );
  const images = await run('findscu', [...base, ...imageQ]);
  ms += images.ms;
  return { ms, instances: responses(images.stderr).length };
}

/** What a count reports, as the benches read it. */
export interface CountedExposure {
  studies: number;
  instances: number;
  queries: number;
  complete: boolean;
}

/** One `opendoor scan --depth count` of one port, bounds lifted: its time and the service's exposure. */
export async function opendoorCount(
  host: string,
  port: number,
  extra: string[] = [],
): Promise<{ ms: number; exposure: CountedExposure | null }> {
  const args = [
    CLI,
    'scan',
    host,
    '-p',
    String(port),
    '--depth',
    'count',
    '--json',
    '--count-budget',
    '600000',
    '--max-queries',
    '100000',
    ...extra,
  ];
  const r = await run(process.execPath, args);
  const rec = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; exposure?: CountedExposure | null })
    .find((x) => x.type === 'service');
  return { ms: r.ms, exposure: rec?.exposure ?? null };
}

/** dcmqrscp's index file is capped at 32 MiB (about 1,000 instances): it gets the first 1,000. */
const DCMQRSCP_MAX_INSTANCES = 1000;

export async function countBench(shape: ArchiveShape): Promise<string[][]> {
  const files = await bigArchive(shape);
  const qrFiles = files.slice(0, DCMQRSCP_MAX_INSTANCES);
  const work = tempDir('bench-count');
  const servers: TestServer[] = [];
  const rows: string[][] = [
    [
      'server',
      'instances',
      'findscu ms',
      'opendoor ms',
      'findscu inst/s',
      'opendoor inst/s',
      'opendoor/findscu speed',
      'opendoor queries',
    ],
  ];
  try {
    process.stderr.write(
      `bench: loading ${qrFiles.length} instances into dcmqrscp and ${files.length} into Orthanc ...\n`,
    );
    const [qr, orthanc] = await Promise.all([
      startDcmqrscp({ host: '127.0.81.2', aet: 'ARCHIVE', peers: 'ANY', files: qrFiles }),
      startOrthanc({ host: '127.0.81.3', files, config: OPEN_ORTHANC, uploadConcurrency: 4 }),
    ]);
    servers.push(qr, orthanc);
    for (const [name, host, port, aet] of [
      ['dcmqrscp', '127.0.81.2', 11112, 'ARCHIVE'],
      ['Orthanc', '127.0.81.3', 4242, 'ORTHANC'],
    ] as const) {
      const ref = await findscuWalk(host, port, aet, path.join(work, name));
      const counted = await opendoorCount(host, port);
      const od = {
        ms: counted.ms,
        instances: counted.exposure?.instances ?? -1,
        queries: counted.exposure?.queries ?? -1,
      };
      rows.push([
        name,
        `${od.instances}/${ref.instances}`,
        `${Math.round(ref.ms)}`,
        `${Math.round(od.ms)}`,
        `${Math.round((ref.instances * 1000) / ref.ms)}`,
        `${Math.round((od.instances * 1000) / od.ms)}`,
        (ref.ms / od.ms).toFixed(2),
        `${od.queries}`,
      ]);
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    removeDir(work);
  }
  return rows;
}

/**
 * Counting behind a C-FIND cap: busy archives of 1,000 and 10,000 single-instance studies on
 * Orthanc with LimitFindResults 25 and 100, counted by opendoor (exact, proven by two partitions)
 * and, side by side, by findscu's single study query (which sees at most the cap): the cost of
 * exactness in queries and time.
 */
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OPEN_ORTHANC } from '../test/harness/fleet.js';
import { startOrthanc, type TestServer } from '../test/harness/servers.js';
import { busyDay, makeStudyFiles } from '../test/harness/studies.js';
import { opendoorCount, run } from './count.js';

/** The archive's files, made once per size under the OS temp dir. */
function archive(studies: number): { files: string[]; patients: number } {
  const dates = Array.from(
    { length: studies / 200 },
    (_, i) => `2026${String(1 + Math.floor(i / 28)).padStart(2, '0')}${String(1 + (i % 28)).padStart(2, '0')}`,
  );
  const day = busyDay(dates, 200);
  const dir = path.join(os.tmpdir(), `opendoor-bench-busy-${studies}`);
  mkdirSync(dir, { recursive: true });
  const last = path.join(dir, `study-${studies - 1}.dcm`);
  if (!existsSync(last)) process.stderr.write(`bench: generating ${studies} synthetic studies in ${dir} ...\n`);
  const files = existsSync(last)
    ? day.specs.map((_, n) => path.join(dir, `study-${n}.dcm`))
    : makeStudyFiles(dir, day.specs);
  return { files, patients: day.patients };
}

export async function cappedBench(sizes: number[], caps: number[]): Promise<string[][]> {
  const rows = [
    [
      'studies',
      'cap',
      'findscu studies',
      'findscu ms',
      'opendoor studies',
      'complete',
      'queries',
      'queries/1000 studies',
      'opendoor ms',
      'time ratio',
    ],
  ];
  let host = 10;
  for (const size of sizes) {
    const a = archive(size);
    for (const cap of caps) {
      const ip = `127.0.82.${host++}`;
      process.stderr.write(`bench: loading ${size} studies into Orthanc (cap ${cap}) ...\n`);
      const server: TestServer = await startOrthanc({
        host: ip,
        files: a.files,
        config: { ...OPEN_ORTHANC, LimitFindResults: cap },
        uploadConcurrency: 4,
      });
      try {
        const ref = await run('findscu', [
          '-S',
          '-v',
          '-aec',
          'ORTHANC',
          ip,
          '4242',
          '-k',
          'QueryRetrieveLevel=STUDY',
          '-k',
          'StudyInstanceUID',
        ]);
        const refStudies = (ref.stderr.match(/Find Response: \d+ \(Pending\)/g) ?? []).length;
        const od = await opendoorCount(ip, 4242, [
          '--db',
          path.join(os.tmpdir(), `opendoor-bench-capped-${process.pid}.db`),
        ]);
        const e = od.exposure;
        rows.push([
          `${size}`,
          `${cap}`,
          `${refStudies}`,
          `${Math.round(ref.ms)}`,
          `${e?.studies ?? -1}`,
          `${e?.complete ?? false}`,
          `${e?.queries ?? -1}`,
          `${Math.round(((e?.queries ?? 0) * 1000) / size)}`,
          `${Math.round(od.ms)}`,
          (od.ms / ref.ms).toFixed(1),
        ]);
      } finally {
        await server.stop();
      }
    }
  }
  return rows;
}

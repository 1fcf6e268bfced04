/**
 * A large synthetic archive for the counting benchmark, made with dump2dcm in parallel and cached
 * between runs (the files are synthetic: no real patient data).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dumpText, type ArchiveShape } from '../test/harness/studies.js';

function dump2dcm(txt: string, dcm: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('dump2dcm', ['-q', '--write-xfer-little', txt, dcm], { stdio: 'ignore' });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`dump2dcm ${txt} failed`))));
  });
}

/** Files of the archive, generated once per shape under the OS temp dir. */
export async function bigArchive(shape: ArchiveShape): Promise<string[]> {
  const dir = path.join(
    os.tmpdir(),
    `opendoor-bench-${shape.patients}x${shape.studiesPerPatient}x${shape.seriesPerStudy}x${shape.instancesPerSeries}`,
  );
  const total = shape.patients * shape.studiesPerPatient * shape.seriesPerStudy * shape.instancesPerSeries;
  mkdirSync(dir, { recursive: true });
  const existing = new Set(readdirSync(dir).filter((f) => f.endsWith('.dcm')));
  const jobs: Array<[string, string]> = [];
  const files: string[] = [];
  for (let p = 0; p < shape.patients; p++)
    for (let st = 0; st < shape.studiesPerPatient; st++)
      for (let se = 0; se < shape.seriesPerStudy; se++)
        for (let i = 0; i < shape.instancesPerSeries; i++) {
          const base = `p${p}-st${st}-se${se}-i${i}`;
          files.push(path.join(dir, `${base}.dcm`));
          if (!existing.has(`${base}.dcm`)) {
            writeFileSync(path.join(dir, `${base}.txt`), dumpText(p, st, se, i));
            jobs.push([path.join(dir, `${base}.txt`), path.join(dir, `${base}.dcm`)]);
          }
        }
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      if (job !== undefined) await dump2dcm(job[0], job[1]);
    }
  };
  if (jobs.length > 0)
    process.stderr.write(`bench: generating ${jobs.length} of ${total} synthetic instances in ${dir} ...\n`);
  await Promise.all(Array.from({ length: Math.max(2, os.cpus().length * 2) }, worker));
  if (!files.every((f) => existsSync(f))) throw new Error('archive generation incomplete');
  return files;
}

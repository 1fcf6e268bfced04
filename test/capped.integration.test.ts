/**
 * Exact behind a C-FIND cap on a busy archive (real Orthanc, LimitFindResults 25): hundreds of
 * studies on one date with names skewed towards one letter, accents, empty names and names without
 * a given name; thousands over ten dates. The counts must be exact and proven (complete: true),
 * with `capped` true and the splits named.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { probeService } from '../src/probes/service.js';
import { silentLogger } from '../src/util/log.js';
import { OPEN_ORTHANC } from './harness/fleet.js';
import { removeDir, tempDir } from './harness/procs.js';
import { startOrthanc, type TestServer } from './harness/servers.js';
import { busyDay, makeStudyFiles } from './harness/studies.js';

const opts = {
  timeoutMs: 3000,
  depth: 'count' as const,
  aeTitles: [],
  maxQueries: 5000,
  countBudgetMs: 120000,
  log: silentLogger,
  throttle: async () => undefined,
};
const TEN_DATES = Array.from({ length: 10 }, (_, i) => `202603${String(i + 10)}`);

describe('counting behind a cap of 25 on a busy archive', () => {
  const servers: TestServer[] = [];
  const dirs: string[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    dirs.forEach(removeDir);
  });

  async function archive(
    host: string,
    dates: readonly string[],
    perDate: number,
  ): Promise<{ studies: number; patients: number }> {
    const dir = tempDir('busy');
    dirs.push(dir);
    const day = busyDay(dates, perDate);
    const files = makeStudyFiles(dir, day.specs);
    servers.push(
      await startOrthanc({ host, files, config: { ...OPEN_ORTHANC, LimitFindResults: 25 }, uploadConcurrency: 4 }),
    );
    return { studies: day.specs.length, patients: day.patients };
  }

  test('400 studies on one date, names skewed to M, accents, empty and given-only names: exact and proven', async () => {
    const want = await archive('127.0.81.2', ['20260315'], 400);
    const started = performance.now();
    const r = await probeService('127.0.81.2', 4242, opts);
    const e = r.observation.exposure;
    assert.ok(e !== null);
    console.log(
      `# 400 on one date: ${e.queries} queries, ${Math.round(performance.now() - started)} ms, splits ${e.splits.join(',')}`,
    );
    assert.equal(e.incompleteReason, null);
    assert.deepEqual(
      [e.studies, e.patients, e.instances, e.complete, e.capped],
      [want.studies, want.patients, want.studies, true, true],
    );
    assert.ok(e.splits.length > 0);
  });

  test('2,000 studies over ten dates: exact and proven', async () => {
    const want = await archive('127.0.81.3', TEN_DATES, 200);
    const started = performance.now();
    const r = await probeService('127.0.81.3', 4242, opts);
    const e = r.observation.exposure;
    assert.ok(e !== null);
    console.log(
      `# 2,000 over ten dates: ${e.queries} queries, ${Math.round(performance.now() - started)} ms, splits ${e.splits.join(',')}`,
    );
    assert.equal(e.incompleteReason, null);
    assert.deepEqual(
      [e.studies, e.patients, e.instances, e.complete, e.capped],
      [want.studies, want.patients, want.studies, true, true],
    );
  });
});

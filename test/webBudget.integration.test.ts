/**
 * The HTTP probe's time bound is derived from the web adapters' request budgets (adapter.ts): here
 * each kind of web door — a real Orthanc open and behind its vendor default, a DICOMweb-only front,
 * dcm4chee-arc's AE list before its DICOMweb root, a viewer's page of WADO-URI links — is probed at
 * --depth retrieve behind a front that counts every request, and what was sent stays within what
 * the budgets allow (a paged count within --count-budget, the rest by number), in time within the bound.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WEB_ADAPTERS } from '../src/probes/http/adapters.js';
import { httpProbeBoundMs, httpRequestBudget, probeHttp } from '../src/probes/http/probe.js';
import { silentLogger } from '../src/util/log.js';
import { OPEN_ORTHANC } from './harness/fleet.js';
import { removeDir, tempDir } from './harness/procs.js';
import { startOrthanc, type TestServer } from './harness/servers.js';
import { instanceUids, makeArchive } from './harness/studies.js';
import { startProxy, type WebPeer } from './harness/web.js';

const H = { open: '127.0.85.2', defaults: '127.0.85.3', arc: '127.0.85.4', front: '127.0.85.5' };
const ARC_ROOT = '/dcm4chee-arc/aets/ARCHIVE/rs';
const opts = {
  timeoutMs: 2000,
  depth: 'retrieve' as const,
  aeTitles: [],
  maxQueries: 500,
  countBudgetMs: 30000,
  log: silentLogger,
  throttle: async () => undefined,
};

/** A front that forwards what `pass` lets through to upstream and counts every request, paging ones apart. */
async function counted(
  port: number,
  upstream: { host: string; port: number },
  pass: (url: string) => boolean,
  pages: Record<string, string | { type: string; body: string }> = {},
): Promise<WebPeer & { paged: () => number }> {
  const seen: string[] = [];
  const peer = await startProxy(
    H.front,
    port,
    upstream,
    (url) => {
      seen.push(url);
      return pass(url);
    },
    undefined,
    pages,
  );
  // QIDO-RS pages and per-study series questions, listing pages followed: within the count budget
  const paging = (u: string) => /\/studies\?limit=200&offset=|\/studies\/[0-9.]+\/series\?includefield|^\/p\d/.test(u);
  return Object.assign(peer, { paged: () => seen.filter(paging).length });
}

describe('web adapters: what they send stays within their request budgets', () => {
  let dir = '';
  const servers: Array<TestServer | WebPeer> = [];
  before(async () => {
    dir = tempDir('web-budget');
    const archive = makeArchive(dir, { patients: 2, studiesPerPatient: 2, seriesPerStudy: 1, instancesPerSeries: 1 });
    servers.push(
      ...(await Promise.all([
        startOrthanc({
          host: H.open,
          files: archive.files,
          dicomWeb: true,
          config: OPEN_ORTHANC,
        }),
        startOrthanc({
          host: H.defaults,
          files: archive.files,
          dicomWeb: true,
          credentials: { user: 'orthanc', password: 'orthanc' },
          config: { AuthenticationEnabled: true, RegisteredUsers: { orthanc: 'orthanc' } },
        }),
        startOrthanc({
          host: H.arc,
          aet: 'ARCHIVE',
          files: archive.files,
          dicomWeb: true,
          config: { AuthenticationEnabled: false, DicomWeb: { Enable: true, Root: `${ARC_ROOT}/` } },
        }),
      ])),
    );
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    removeDir(dir);
  });

  test('the derived bound adds up each adapter’s budget; deeper depths ask more', () => {
    const [detect, access, count, retrieve] = (['detect', 'access', 'count', 'retrieve'] as const).map((d) =>
      httpRequestBudget(d),
    );
    const detects = 1 + WEB_ADAPTERS.reduce((n, a) => n + a.budget.detect, 0);
    assert.deepEqual(detect, { requests: detects, downloads: 0, paged: false });
    assert.ok(detects < (access?.requests ?? 0) && (access?.requests ?? 0) < (count?.requests ?? 0));
    assert.equal(count?.paged, true);
    assert.ok((retrieve?.downloads ?? 0) > 0);
    const t = opts.timeoutMs;
    assert.equal(
      httpProbeBoundMs(opts),
      2 * t * (retrieve?.requests ?? 0) + 10 * t * (retrieve?.downloads ?? 0) + opts.countBudgetMs + 2 * t,
    );
  });

  const doors: Array<{
    name: string;
    start: (port: number) => Promise<WebPeer & { paged: () => number }>;
    api: string;
  }> = [
    {
      name: 'Orthanc, open: REST counts, the file downloaded',
      start: (port) => counted(port, { host: H.open, port: 8042 }, () => true),
      api: 'orthanc',
    },
    {
      name: 'Orthanc behind its vendor default: each default tried',
      start: (port) => counted(port, { host: H.defaults, port: 8042 }, () => true),
      api: 'orthanc',
    },
    {
      name: 'a DICOMweb-only front: each usual root asked, QIDO-RS paged, WADO-RS',
      start: (port) => counted(port, { host: H.open, port: 8042 }, (u) => u.startsWith('/dicom-web/')),
      api: 'dicomweb',
    },
    {
      name: 'dcm4chee-arc: the AE list, each AE’s root asked, counted through the one that answers',
      start: (port) =>
        counted(port, { host: H.arc, port: 8042 }, (u) => u.startsWith(ARC_ROOT), {
          '/dcm4chee-arc/aets': {
            type: 'application/json',
            body: JSON.stringify(
              ['LOCKED', 'ARCHIVE'].map((t) => ({ dicomAETitle: t, dicomDeviceName: 'dcm4chee-arc' })),
            ),
          },
        }),
      api: 'dcm4chee-arc',
    },
    {
      name: 'a viewer’s patient list over two pages, its objects linked by WADO-URI',
      start: (port) => {
        const u = instanceUids(0, 0, 0, 0);
        const link = `/wado?requestType=WADO&amp;studyUID=${u.study}&amp;seriesUID=${u.series}&amp;objectUID=${u.sop}`;
        const table = (rows: string) =>
          `<html><head><title>PACS</title></head><body><table><tr><th>Patient Name</th><th>Patient ID</th><th>Study Date</th><th></th></tr>${rows}</table><a href="/p2">next</a></body></html>`;
        return counted(port, { host: H.open, port: 8042 }, (x) => x.startsWith('/wado?'), {
          '/': table(`<tr><td>DOE^JANE</td><td>P1</td><td>20260101</td><td><a href="${link}">view</a></td></tr>`),
          '/p2': table('<tr><td>ROE^RICHARD</td><td>P2</td><td>20260102</td><td></td></tr>'),
        });
      },
      api: 'patient-list',
    },
  ];
  for (const [i, door] of doors.entries())
    test(door.name, async (t) => {
      const port = 8080 + i;
      const front = await door.start(port);
      servers.push(front);
      const started = performance.now();
      const r = await probeHttp(H.front, port, false, opts);
      const ms = performance.now() - started;
      assert.equal(r.kind, 'http');
      assert.equal(r.kind === 'http' ? r.observation.api : null, door.api);
      assert.equal(r.kind === 'http' ? r.observation.retrieve : null, true);
      const budget = httpRequestBudget(opts.depth);
      const byNumber = front.requests - front.paged();
      t.diagnostic(`${byNumber} requests besides ${front.paged()} paging ones, ${Math.round(ms)} ms`);
      assert.ok(
        byNumber <= budget.requests + budget.downloads,
        `${byNumber} requests besides paging, budget ${budget.requests} + ${budget.downloads} downloads`,
      );
      assert.ok(front.paged() === 0 || budget.paged, 'a paged count is in the budget');
      assert.ok(ms < httpProbeBoundMs(opts), `${Math.round(ms)} ms within the derived bound`);
    });
});

/**
 * The web doors against real Orthanc servers with the DICOMweb plugin: open, password protected,
 * vendor default credentials, DICOM port disabled, a DICOMweb-only front; one host one story; and
 * hostile HTTP peers that must end within their timeouts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ServiceRecord } from '../src/output/records.js';
import { probeService } from '../src/probes/service.js';
import { wadoUriPaths } from '../src/probes/http/wadoUri.js';
import { silentLogger } from '../src/util/log.js';
import { runCli } from './harness/cli.js';
import { assertServiceRecord } from './harness/contract.js';
import { OPEN_ORTHANC } from './harness/fleet.js';
import { removeDir, tempDir } from './harness/procs.js';
import { makeCertificate, startOrthanc, type TestServer } from './harness/servers.js';
import { PHI_MARKER, instanceUids, makeArchive, type Archive } from './harness/studies.js';
import {
  startDicomWebProxy,
  startHostileHttp,
  startProxy,
  startViewerFront,
  startWadoUriFront,
  type HostileHttp,
  type WebPeer,
} from './harness/web.js';

const H = {
  open: '127.0.83.2',
  locked: '127.0.83.3',
  defaults: '127.0.83.4',
  webOnly: '127.0.83.5',
  proxy: '127.0.83.6',
  wadoUri: '127.0.83.8',
  viewer: '127.0.83.30',
  wadoLinks: '127.0.83.31',
  https: '127.0.83.7',
  elsewhere: '127.0.83.99',
};
const TIMEOUT = 800;

/** A viewer's page: one link per study to its first object by WADO-URI, with or without the table around. */
function viewerPage(patients: number, studiesPerPatient: number, table: boolean): string {
  const rows: string[] = [];
  for (let p = 0; p < patients; p++)
    for (let st = 0; st < studiesPerPatient; st++) {
      const u = instanceUids(p, st, 0, 0);
      const href = `/wado?requestType=WADO&amp;studyUID=${u.study}&amp;seriesUID=${u.series}&amp;objectUID=${u.sop}&amp;contentType=application%2Fdicom`;
      rows.push(
        table
          ? `<tr><td>${PHI_MARKER}^Patient${p}</td><td>P${p}</td><td>2026010${st + 1}</td><td><a href="${href}">view</a></td></tr>`
          : `<li><a href="${href}">object ${p}.${st}</a></li>`,
      );
    }
  const body = table
    ? `<table><tr><th>Patient Name</th><th>Patient ID</th><th>Study Date</th><th></th></tr>${rows.join('')}</table>`
    : `<ul>${rows.join('')}</ul>`;
  return `<html><head><title>Viewer</title></head><body>${body}</body></html>`;
}
const opts = {
  timeoutMs: 2000,
  depth: 'retrieve' as const,
  aeTitles: [],
  maxQueries: 500,
  countBudgetMs: 30000,
  log: silentLogger,
  throttle: async () => undefined,
};

describe('web doors', () => {
  let archive: Archive;
  let dir: string;
  let certDir = '';
  const servers: Array<TestServer | WebPeer> = [];
  before(async () => {
    dir = tempDir('web');
    archive = makeArchive(dir, { patients: 3, studiesPerPatient: 2, seriesPerStudy: 2, instancesPerSeries: 2 });
    const orthancs = await Promise.all([
      startOrthanc({ host: H.open, files: archive.files, dicomWeb: true, config: OPEN_ORTHANC }),
      startOrthanc({
        host: H.locked,
        files: archive.files,
        dicomWeb: true,
        credentials: { user: 'pacsadmin', password: 'Long-Unique-9' },
        config: { AuthenticationEnabled: true, RegisteredUsers: { pacsadmin: 'Long-Unique-9' } },
      }),
      startOrthanc({
        host: H.defaults,
        files: archive.files,
        dicomWeb: true,
        credentials: { user: 'orthanc', password: 'orthanc' },
        config: { AuthenticationEnabled: true, RegisteredUsers: { orthanc: 'orthanc' } },
      }),
      startOrthanc({ host: H.webOnly, files: archive.files, dicomWeb: true, config: { DicomServerEnabled: false } }),
    ]);
    servers.push(...orthancs);
    servers.push(await startDicomWebProxy(H.proxy, 8080, { host: H.open, port: 8042 }));
    servers.push(await startWadoUriFront(H.wadoUri, 8080, { host: H.open, port: 8042 }));
    servers.push(await startViewerFront(H.viewer, 8080, { host: H.open, port: 8042 }, viewerPage(3, 2, true)));
    servers.push(await startViewerFront(H.wadoLinks, 8080, { host: H.open, port: 8042 }, viewerPage(3, 2, false)));
    // Debian's Orthanc 1.10 drops its own HTTPS listener after the first TLS request, so HTTPS is
    // terminated by a reverse proxy in front of it, the usual deployment anyway
    const cert = makeCertificate(`orthanc.${H.https}`);
    certDir = cert.dir;
    servers.push(await startProxy(H.https, 8443, { host: H.open, port: 8042 }, '/', cert));
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    removeDir(dir);
    if (certDir !== '') removeDir(certDir);
  });

  const exact = (e: { patients: number; studies: number; series: number; instances: number } | null | undefined) => {
    assert.ok(e);
    assert.deepEqual(
      [e.patients, e.studies, e.series, e.instances],
      [archive.patients, archive.studies, archive.series, archive.instances],
    );
  };

  test('open Orthanc REST: exact counts, PHI by name, download proven', async () => {
    const r = await probeService(H.open, 8042, opts);
    assert.equal(r.observation.protocol, 'http');
    assert.equal(r.product, 'Orthanc');
    assert.match(r.version ?? '', /^\d+\.\d+\.\d+$/);
    assert.equal(r.observation.http?.auth, 'none');
    assert.equal(r.observation.http?.api, 'orthanc');
    assert.equal(r.observation.http?.dicomweb, '/dicom-web');
    exact(r.observation.exposure);
    for (const name of ['PatientName', 'PatientID', 'PatientBirthDate', 'AccessionNumber'])
      assert.ok(r.observation.exposure?.phi.includes(name), name);
    assert.equal(r.observation.http?.retrieve, true);
    assert.equal(r.observation.http?.retrieveVia, 'orthanc-rest');
  });

  test('password-protected Orthanc: required, and no PHI claimed', async () => {
    const r = await probeService(H.locked, 8042, opts);
    assert.equal(r.product, 'Orthanc');
    assert.equal(r.observation.http?.auth, 'required');
    assert.equal(r.observation.exposure, null);
    assert.equal(r.observation.http?.retrieve, null);
  });

  test('vendor default credentials: found at --depth access, never tried at detect', async () => {
    const r = await probeService(H.defaults, 8042, opts);
    assert.equal(r.observation.http?.auth, 'default-credentials');
    exact(r.observation.exposure);
    const d = await probeService(H.defaults, 8042, { ...opts, depth: 'detect' });
    assert.equal(d.observation.http?.auth, 'required');
  });

  test('Orthanc over HTTPS: TLS facts, then the same web probe inside the tunnel', async () => {
    const r = await probeService(H.https, 8443, opts);
    assert.equal(r.observation.transport, 'tls');
    assert.equal(r.observation.protocol, 'http');
    assert.equal(r.product, 'Orthanc');
    assert.equal(r.observation.http?.auth, 'none');
    assert.equal(r.observation.tls?.selfSigned, true);
    assert.match(r.observation.tls?.subject ?? '', /CN=orthanc\.127\.0\.83\.7/);
  });

  test('DICOMweb-only front: QIDO-RS counts exactly, WADO-RS download proven', async () => {
    const r = await probeService(H.proxy, 8080, opts);
    assert.equal(r.observation.http?.api, 'dicomweb');
    assert.equal(r.observation.http?.dicomweb, '/dicom-web');
    assert.equal(r.observation.exposure?.model, 'qido-rs');
    exact(r.observation.exposure);
    assert.ok(r.observation.exposure?.phi.includes('PatientName'));
    assert.equal(r.observation.http?.retrieve, true);
    assert.equal(r.observation.http?.retrieveVia, 'wado-rs');
  });

  test('WADO-URI is looked for beside the DICOMweb root, then at the site root', () => {
    assert.deepEqual(wadoUriPaths('/dicom-web'), ['/wado']);
    assert.deepEqual(wadoUriPaths('/orthanc/dicom-web'), ['/orthanc/wado', '/wado']);
    assert.deepEqual(wadoUriPaths('/dcm4chee-arc/aets/DCM4CHEE/rs'), ['/dcm4chee-arc/aets/DCM4CHEE/wado', '/wado']);
  });

  test('WADO-RS blocked by the front, WADO-URI open: the download is proven by WADO-URI with the QIDO UIDs', async () => {
    const r = await probeService(H.wadoUri, 8080, opts);
    assert.equal(r.observation.http?.api, 'dicomweb');
    exact(r.observation.exposure);
    assert.equal(r.observation.http?.retrieve, true);
    assert.equal(r.observation.http?.retrieveVia, 'wado-uri');
  });

  test('a viewer page that lists the studies and links their objects by WADO-URI: a patient list, counted, one object fetched by WADO-URI', async () => {
    const r = await probeService(H.viewer, 8080, opts);
    assert.equal(r.observation.http?.api, 'patient-list');
    assert.equal(r.observation.exposure?.model, 'html-list');
    assert.deepEqual([r.observation.exposure?.patients, r.observation.exposure?.studies], [3, 6]);
    assert.equal(r.observation.http?.retrieve, true);
    assert.equal(r.observation.http?.retrieveVia, 'wado-uri');
    const detect = await probeService(H.viewer, 8080, { ...opts, depth: 'detect' });
    assert.equal(detect.observation.http?.api, 'patient-list');
    assert.equal(detect.observation.http?.retrieve, null, 'nothing fetched below --depth retrieve');
  });

  test('a page of WADO-URI links only: recognised as WADO-URI, one object fetched at --depth retrieve, nothing counted', async () => {
    const r = await probeService(H.wadoLinks, 8080, opts);
    assert.equal(r.observation.http?.api, 'wado-uri');
    assert.equal(r.observation.http?.auth, 'none');
    assert.equal(r.observation.exposure, null);
    assert.equal(r.observation.http?.retrieveVia, 'wado-uri');
    const count = await probeService(H.wadoLinks, 8080, { ...opts, depth: 'count' });
    assert.equal(count.observation.http?.api, 'wado-uri');
    assert.equal(count.observation.http?.retrieve, null);
  });

  test('one host, one story: DICOM and HTTP records agree; a web-only Orthanc is found; no marker in any output', async () => {
    const r = await runCli([
      'scan',
      H.open,
      H.webOnly,
      H.locked,
      '-p',
      '4242,8042',
      '--json',
      '--depth',
      'retrieve',
      '--debug',
      '--timeout',
      '2000',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const recs = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ServiceRecord);
    for (const x of recs)
      if ((x as { type: string }).type === 'service') assertServiceRecord(x as unknown as Record<string, unknown>);
    const at = (h: string, p: number) => recs.find((x) => x.host === h && x.port === p);
    assert.equal(at(H.open, 4242)?.product, 'Orthanc');
    assert.equal(at(H.open, 4242)?.version, at(H.open, 8042)?.version);
    assert.equal(at(H.locked, 4242)?.product, 'Orthanc');
    assert.equal(at(H.webOnly, 4242), undefined);
    assert.equal(at(H.webOnly, 8042)?.product, 'Orthanc');
    assert.ok(at(H.open, 8042)?.findings.some((f) => f.id === 'http-open-api'));
    assert.ok(at(H.open, 8042)?.findings.some((f) => f.id === 'http-plain-phi'));
    assert.match(
      at(H.open, 8042)?.findings.find((f) => f.id === 'http-open-api')?.remediation ?? '',
      /AuthenticationEnabled/,
    );
    assert.ok(!`${r.stdout}${r.stderr}`.includes(PHI_MARKER));
  });

  const hostile: HostileHttp[] = ['endless-body', 'huge-headers', 'slow-drip', 'redirect-loop', 'redirect-off-host'];
  hostile.forEach((kind, i) => {
    test(`hostile HTTP peer (${kind}) ends within its timeouts with bounded memory, never followed off target`, async () => {
      const trap = await startHostileHttp(H.elsewhere, 8042 + i, 'redirect-loop');
      const peer = await startHostileHttp(`127.0.83.${10 + i}`, 8080, kind, `http://${H.elsewhere}:${8042 + i}/`);
      try {
        const rss = process.memoryUsage().rss;
        const started = performance.now();
        const r = await probeService(peer.host, 8080, { ...opts, timeoutMs: TIMEOUT });
        const ms = performance.now() - started;
        assert.ok(['http', 'unknown', 'silent'].includes(r.observation.protocol), r.observation.protocol);
        assert.ok(ms < TIMEOUT * 12, `${kind}: ${Math.round(ms)} ms`);
        assert.ok(process.memoryUsage().rss - rss < 96 * 1024 * 1024, 'bounded memory');
        assert.equal(trap.requests, 0, 'a redirect was followed off the target');
      } finally {
        await Promise.all([peer.stop(), trap.stop()]);
      }
    });
  });
});

/**
 * The nine-host test network on loopback, every host its own 127.0.77.x address with the default
 * ports: open and locked Orthanc, dcmqrscp behind a guessable AE and one that only talks to known
 * peers, DICOM-TLS with and without a client certificate, HTTP on a DICOM port, a tarpit, and an
 * address where nothing listens.
 */
import http from 'node:http';
import { startHostile } from './hostile.js';
import { makeArchive, type Archive } from './studies.js';
import { startDcmqrscp, startOrthanc, startStorescpTls, type TestServer } from './servers.js';
import { listening, removeDir, tempDir } from './procs.js';

export const FLEET = {
  orthancOpen: '127.0.77.2',
  orthancLocked: '127.0.77.3',
  qrGuessable: '127.0.77.4',
  qrKnownPeers: '127.0.77.5',
  tlsClientCert: '127.0.77.6',
  tlsOpen: '127.0.77.7',
  httpOnDicomPort: '127.0.77.8',
  tarpit: '127.0.77.9',
  empty: '127.0.77.10',
} as const;

export const FLEET_RANGE = '127.0.77.2-10';

/**
 * The DICOM port the HTTP server and the tarpit sit on: 11112 (registered for DICOM, in the default
 * set, and unprivileged, so the demo and the tests need no root).
 */
export const DICOM_PORT = 11112;

/** Orthanc's DICOM side closed to strangers: only a known peer from a known host. */
export const LOCKED_ORTHANC_DICOM = {
  DicomAlwaysAllowEcho: false,
  DicomAlwaysAllowStore: false,
  DicomAlwaysAllowFind: false,
  DicomAlwaysAllowMove: false,
  DicomAlwaysAllowGet: false,
  DicomCheckModalityHost: true,
  DicomModalities: { pacs: ['KNOWNSCU', '127.0.0.1', 11113] },
};

/** An Orthanc that lets any peer query and retrieve: what the investigations found on the internet. */
export const OPEN_ORTHANC = {
  DicomCheckCalledAet: false,
  DicomAlwaysAllowFind: true,
  DicomAlwaysAllowGet: true,
  DicomAlwaysAllowMove: true,
};

export interface Fleet {
  archive: Archive;
  servers: TestServer[];
  stop(): Promise<void>;
}

async function httpServer(host: string, port: number): Promise<TestServer> {
  const srv = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', server: 'tiny-test-httpd' });
    res.end('hello\n');
  });
  await new Promise<void>((resolve) => srv.listen(port, host, () => resolve()));
  return { host, ports: { http: port }, log: () => '', stop: () => new Promise<void>((r) => srv.close(() => r())) };
}

/** Fail fast and clearly when another fleet (or anything else) already holds a test address. */
async function assertFree(): Promise<void> {
  const checks = [
    [FLEET.orthancOpen, 4242],
    [FLEET.orthancLocked, 8042],
    [FLEET.qrGuessable, 11112],
    [FLEET.tlsOpen, 2762],
    [FLEET.httpOnDicomPort, DICOM_PORT],
    [FLEET.tarpit, DICOM_PORT],
  ] as const;
  for (const [host, port] of checks) {
    if (await listening(host, port))
      throw new Error(`${host}:${port} is already in use: is another test fleet or demo running?`);
  }
}

export async function startFleet(): Promise<Fleet> {
  await assertFree();
  const dataDir = tempDir('studies');
  const archive = makeArchive(dataDir, { patients: 2, studiesPerPatient: 2, seriesPerStudy: 1, instancesPerSeries: 2 });
  const servers: TestServer[] = [];
  const stopAll = async () => {
    await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
    removeDir(dataDir);
  };
  const results = await Promise.allSettled([
    startOrthanc({ host: FLEET.orthancOpen, files: archive.files, config: OPEN_ORTHANC }),
    startOrthanc({
      host: FLEET.orthancLocked,
      files: archive.files,
      credentials: { user: 'admin', password: 'fleet-Secret-1' },
      config: { ...LOCKED_ORTHANC_DICOM, AuthenticationEnabled: true, RegisteredUsers: { admin: 'fleet-Secret-1' } },
    }),
    startDcmqrscp({ host: FLEET.qrGuessable, aet: 'ARCHIVE', peers: 'ANY', files: archive.files }),
    startDcmqrscp({
      host: FLEET.qrKnownPeers,
      aet: 'PACS',
      peers: [{ aet: 'KNOWNSCU', host: '127.0.0.1', port: 11113 }],
      files: archive.files,
    }),
    startStorescpTls({ host: FLEET.tlsClientCert, requireClientCert: true }),
    startStorescpTls({ host: FLEET.tlsOpen, requireClientCert: false }),
    httpServer(FLEET.httpOnDicomPort, DICOM_PORT),
    startHostile(FLEET.tarpit, DICOM_PORT, ['stall']).then((p) => ({
      host: p.host,
      ports: { dicom: DICOM_PORT },
      log: () => '',
      stop: p.stop,
    })),
  ]);
  for (const r of results) if (r.status === 'fulfilled') servers.push(r.value);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) {
    await stopAll();
    throw failed.reason;
  }
  return { archive, servers, stop: stopAll };
}

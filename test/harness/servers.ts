/**
 * Real servers from Debian packages, each pinned to its own loopback address: Orthanc (REST +
 * DICOM, optional DICOMweb plugin), dcmtk's dcmqrscp with a chosen AE table, storescp over TLS.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { removeDir, run, startPinned, tempDir, type Running } from './procs.js';

export interface TestServer {
  host: string;
  ports: Record<string, number>;
  stop(): Promise<void>;
  log(): string;
}

function server(host: string, ports: Record<string, number>, proc: Running, dir: string): TestServer {
  return {
    host,
    ports,
    log: proc.output,
    stop: async () => {
      await proc.stop();
      removeDir(dir);
    },
  };
}

export interface OrthancOptions {
  host: string;
  dicomPort?: number;
  httpPort?: number;
  aet?: string;
  /** Extra configuration keys, merged over the defaults (open server, checks called AE). */
  config?: Record<string, unknown>;
  dicomWeb?: boolean;
  /** DICOM files uploaded through REST once the server runs. */
  files?: string[];
  credentials?: { user: string; password: string };
  /** Parallel REST uploads (large benchmark archives). */
  uploadConcurrency?: number;
}

export async function startOrthanc(o: OrthancOptions): Promise<TestServer> {
  const dir = tempDir('orthanc');
  const dicomPort = o.dicomPort ?? 4242;
  const httpPort = o.httpPort ?? 8042;
  const config = {
    Name: 'opendoor-test',
    StorageDirectory: path.join(dir, 'db'),
    IndexDirectory: path.join(dir, 'db'),
    HttpPort: httpPort,
    DicomPort: dicomPort,
    DicomAet: o.aet ?? 'ORTHANC',
    DicomServerEnabled: true,
    RemoteAccessAllowed: true,
    AuthenticationEnabled: false,
    DicomCheckCalledAet: true,
    HttpTimeout: 10,
    Plugins: o.dicomWeb === true ? ['/usr/share/orthanc/plugins/libOrthancDicomWeb.so'] : [],
    ...(o.dicomWeb === true ? { DicomWeb: { Enable: true, Root: '/dicom-web/' } } : {}),
    ...o.config,
  };
  writeFileSync(path.join(dir, 'orthanc.json'), JSON.stringify(config, null, 2));
  const listen = config.DicomServerEnabled === false ? [httpPort] : [httpPort, dicomPort];
  const proc = await startPinned('Orthanc', [path.join(dir, 'orthanc.json')], o.host, listen, { cwd: dir });
  const s = server(o.host, { dicom: dicomPort, http: httpPort }, proc, dir);
  const auth: Record<string, string> =
    o.credentials !== undefined
      ? { authorization: `Basic ${Buffer.from(`${o.credentials.user}:${o.credentials.password}`).toString('base64')}` }
      : {};
  const files = o.files ?? [];
  let next = 0;
  // an instance POSTed again is stored once (Orthanc: AlreadyStored): a 5xx under parallel uploads
  // (seen once in 2,000 under Node 24, its own database busy) is tried again, twice at most
  const upload = async () => {
    while (next < files.length) {
      const file = files[next++] as string;
      for (let attempt = 1; ; attempt++) {
        const res = await fetch(`http://${o.host}:${httpPort}/instances`, {
          method: 'POST',
          body: readFileSync(file),
          headers: auth,
        });
        const body = await res.text();
        if (res.ok) break;
        if (res.status < 500 || attempt >= 3)
          throw new Error(`Orthanc upload failed: ${res.status} ${body.replace(/\s+/g, ' ').slice(0, 300)}`);
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: o.uploadConcurrency ?? 1 }, upload));
  } catch (e) {
    await s.stop();
    throw e;
  }
  return s;
}

export interface DcmqrscpOptions {
  host: string;
  port?: number;
  /** Called AE title of the archive. */
  aet: string;
  /** `ANY` accepts every calling AE; otherwise only these peers (AE title, host). */
  peers: 'ANY' | Array<{ aet: string; host: string; port: number }>;
  files?: string[];
}

export async function startDcmqrscp(o: DcmqrscpOptions): Promise<TestServer> {
  const dir = tempDir('dcmqrscp');
  const port = o.port ?? 11112;
  const store = path.join(dir, 'store');
  mkdirSync(store);
  const hostTable =
    o.peers === 'ANY'
      ? []
      : [
          ...o.peers.map((p, i) => `peer${i} = (${p.aet}, ${p.host}, ${p.port})`),
          `known = ${o.peers.map((_, i) => `peer${i}`).join(', ')}`,
        ];
  const cfg = [
    `NetworkTCPPort = ${port}`,
    'MaxPDUSize = 16384',
    'MaxAssociations = 16',
    'HostTable BEGIN',
    ...hostTable,
    'HostTable END',
    'VendorTable BEGIN',
    'VendorTable END',
    'AETable BEGIN',
    `${o.aet} ${store} RW (10000, 1024mb) ${o.peers === 'ANY' ? 'ANY' : 'known'}`,
    'AETable END',
    '',
  ].join('\n');
  writeFileSync(path.join(dir, 'dcmqrscp.cfg'), cfg);
  if (o.files !== undefined && o.files.length > 0) {
    for (let i = 0; i < o.files.length; i += 500) run('dcmqridx', [store, ...o.files.slice(i, i + 500)]);
  }
  const proc = await startPinned('dcmqrscp', ['-c', path.join(dir, 'dcmqrscp.cfg'), String(port)], o.host, [port], {
    cwd: dir,
  });
  return server(o.host, { dicom: port }, proc, dir);
}

export interface TlsMaterial {
  dir: string;
  key: string;
  cert: string;
}

/** A self-signed server certificate made with openssl. */
export function makeCertificate(cn: string, days = 365): TlsMaterial {
  const dir = tempDir('cert');
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    String(days),
    '-subj',
    `/CN=${cn}/O=opendoor test`,
  ]);
  return { dir, key, cert };
}

export interface StorescpTlsOptions {
  host: string;
  port?: number;
  aet?: string;
  /** Demand a client certificate (storescp's default with +tls) or ignore peers' certificates. */
  requireClientCert: boolean;
}

export async function startStorescpTls(o: StorescpTlsOptions): Promise<TestServer & { cert: TlsMaterial }> {
  const dir = tempDir('storescp');
  const port = o.port ?? 2762;
  const cert = makeCertificate(`storescp.${o.host}`);
  const args = [
    '--aetitle',
    o.aet ?? 'STORESCP',
    '--output-directory',
    dir,
    '+tls',
    cert.key,
    cert.cert,
    '-pw',
    '+cf',
    cert.cert,
    o.requireClientCert ? '--require-peer-cert' : '--ignore-peer-cert',
    String(port),
  ];
  const proc = await startPinned('storescp', args, o.host, [port], { cwd: dir });
  const s = server(o.host, { dicom: port }, proc, dir);
  return {
    ...s,
    cert,
    stop: async () => {
      await s.stop();
      removeDir(cert.dir);
    },
  };
}

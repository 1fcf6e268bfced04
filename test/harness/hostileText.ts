/**
 * Servers that try to attack the people who read opendoor's results: markup in every string a
 * stranger's scan records from them — an HTML title and a Server header (HTTP), a certificate's
 * subject (HTTPS), a DICOM implementation version name — and a record with such strings in every
 * other field a server controls, to write into a store directly.
 */
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { readFileSync } from 'node:fs';
import type { ServiceRecord } from '../../src/output/records.js';
import { startPersona } from './personas.js';
import { dicomRecord, exposure, finding, serviceRecord } from './records.js';
import { makeCertificate } from './servers.js';

/** Each sets window.__pwned, or a visible alert, if it ever runs. */
export const HOSTILE = {
  title: '<script>window.__pwned = "title"</script><img src=x onerror="window.__pwned=1">',
  server: '"><svg onload="window.__pwned=2">',
  /** No slash: openssl's -subj splits on it. */
  certificate: '<img src=x onerror=alert(3)>',
  /** A DICOM implementation version name is 16 characters at most. */
  versionName: '<svg onload=x()>',
  aeTitle: '"><b onclick=x>',
  product: '<iframe srcdoc="<script>parent.__pwned=4</script>">',
} as const;

export interface HostilePeers {
  ports: number[];
  stop(): Promise<void>;
}

export async function startHostileTextPeers(host: string): Promise<HostilePeers> {
  const page = (_req: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/html', server: HOSTILE.server });
    res.end(`<!doctype html><html><head><title>${HOSTILE.title}</title></head><body>hello</body></html>`);
  };
  const cert = makeCertificate(HOSTILE.certificate);
  const web = http.createServer(page);
  const tls = https.createServer({ key: readFileSync(cert.key), cert: readFileSync(cert.cert) }, page);
  const listen = (s: net.Server, port: number) =>
    new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, host, () => resolve());
    });
  await listen(web, 8080);
  await listen(tls, 8443);
  const dicom = await startPersona(host, 104, {
    implementationClassUid: '1.2.826.0.1.3680043.8.1055.1',
    implementationVersionName: HOSTILE.versionName,
    maxPduLength: 16384,
    acceptsUnknown: false,
    honestFindTest: true,
    studies: [],
  });
  const close = (s: http.Server) =>
    new Promise<void>((r) => {
      s.closeAllConnections();
      s.close(() => r());
    });
  return {
    ports: [104, 8080, 8443],
    stop: async () => {
      await Promise.all([close(web), close(tls), dicom.stop()]);
    },
  };
}

/** A record as a scan writes it, with markup in every string a server controls. */
export function hostileRecord(host: string, port: number): ServiceRecord {
  return serviceRecord(host, port, {
    product: HOSTILE.product,
    version: HOSTILE.server,
    fingerprint: { basis: 'association', confidence: 'low', contradiction: null },
    dicom: dicomRecord({
      implementationClassUid: '1.2.3',
      implementationVersionName: HOSTILE.versionName,
      toolkit: HOSTILE.product,
      calledAe: HOSTILE.aeTitle,
      recognisedCalledAe: HOSTILE.aeTitle,
      storageAccepted: null,
      getAccepted: null,
      moveAccepted: null,
      findModels: [],
      associationAttempts: 2,
    }),
    exposure: exposure(7, { studies: 9, series: 9, instances: 20, linkedImages: 20 }),
    findings: [{ ...finding('dicom-open-query'), title: 'Open C-FIND', evidence: `accepted ${HOSTILE.aeTitle}` }],
    elapsedMs: 12,
  });
}

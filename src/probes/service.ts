/**
 * Classifies one open port: TLS or not, then DICOM, HTTP, unknown or silent, within bounded time.
 * A tarpit costs one timeout: silence ends the classification, it never triggers another probe.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isClientCertAlert, tcpConnect, tlsConnect, type TlsFacts } from '../net/connect.js';
import { abandoned, enterStep } from '../net/hostScope.js';
import { exposureBoundMs, measureExposure } from './dicom/exposure.js';
import { associationBoundMs } from './dicom/negotiation.js';
import { dicomProbeBoundMs, probeDicom, type DicomProbeResult } from './dicom/probe.js';
import { httpProbeBoundMs, probeHttp } from './http/probe.js';
import type { Dialer, ProbeFailure, ProbeOptions, Protocol, ServiceObservation, Transport } from './types.js';

/** Ports where TLS is tried before plain TCP (DICOM TLS 2762, ISCL 2761, HTTPS). */
export const TLS_FIRST_PORTS = new Set([2761, 2762, 443, 8443]);
/** Ports where HTTP is tried before DICOM. */
export const WEB_FIRST_PORTS = new Set([80, 443, 8042, 8080, 8443, 8000, 8081, 3000, 5000, 9090]);

export interface ServiceProbeOptions extends ProbeOptions {
  /** Waits for the scan's connection rate limiter. */
  throttle: () => Promise<void>;
  /**
   * opendoor's own sweep saw this port open a moment ago: a refusal now is a server restarting (one
   * association at a time, then a restart), asked again after a pause, and recorded if it stays closed.
   * False for ports a list reported (zmap, masscan): refused there means closed, at the cost of one connect.
   */
  sweptOpen?: boolean;
}

/** Pauses before asking again a port that refused after it had answered. */
export const REFUSED_BACKOFF_MS: readonly number[] = [250, 750, 1500];

/** What one probe of a port has seen so far. */
interface PortState {
  /** A connection was accepted: a later refusal is a restart, not a closed port. */
  answered: boolean;
}

interface Classified {
  protocol: Protocol;
  dicom: ServiceObservation['dicom'];
  exposure: ServiceObservation['exposure'];
  http: ServiceObservation['http'];
  product: string | null;
  version: string | null;
  failure: ProbeFailure | null;
  /** An OpenSSL alert code that says the server wants a client certificate. */
  clientCertCode: string | null;
  /** Closed or reset without a byte: worth trying TLS on a plain port. */
  closedSilently: boolean;
  tlsAlert: boolean;
}

function blank(protocol: Protocol, failure: ProbeFailure | null): Classified {
  return {
    protocol,
    dicom: null,
    exposure: null,
    http: null,
    product: null,
    version: null,
    failure,
    clientCertCode: null,
    closedSilently: false,
    tlsAlert: false,
  };
}

/** A closed port: nothing more is tried there. */
const refused = (): Classified => blank('unknown', { kind: 'connection-refused', detail: 'ECONNREFUSED' });

async function classifyHttp(
  host: string,
  port: number,
  tls: boolean,
  opts: ServiceProbeOptions,
): Promise<Classified | 'silent' | 'refused' | 'no'> {
  await opts.throttle();
  enterStep(`http${tls ? 's' : ''}`);
  const h = await probeHttp(host, port, tls, opts);
  if (h.kind === 'http')
    return {
      ...blank('http', null),
      http: h.observation,
      product: h.product,
      version: h.version,
      exposure: h.exposure,
    };
  if (h.failure.failure === 'timeout') return 'silent';
  if (h.failure.failure === 'refused') return 'refused';
  return 'no';
}

function fromNotDicom(r: Extract<DicomProbeResult, { kind: 'not-dicom' }>): Classified | 'http' {
  const head = r.firstBytes;
  if (head.subarray(0, 5).toString('latin1') === 'HTTP/') return 'http';
  // a closed port: nothing more to try there (not HTTP, not TLS)
  if (r.failure?.kind === 'connection-refused') return blank('unknown', r.failure);
  const code = r.error?.code ?? null;
  if (code !== null && isClientCertAlert(code)) return { ...blank('unknown', r.failure), clientCertCode: code };
  if (r.bytesReceived === 0 && r.error?.kind === 'idle-timeout') return blank('silent', r.failure);
  const c = blank('unknown', r.failure);
  c.closedSilently = r.bytesReceived === 0;
  c.tlsAlert = head.length >= 2 && head[0] === 0x15 && head[1] === 0x03;
  return c;
}

async function classify(
  host: string,
  port: number,
  transport: Transport,
  dial: Dialer,
  opts: ServiceProbeOptions,
): Promise<Classified> {
  const tls = transport === 'tls';
  const webFirst = WEB_FIRST_PORTS.has(port);
  // silent to one language, a port is asked once more in the other on a fresh connection: a web
  // server that waits for a line says nothing to an A-ASSOCIATE-RQ (a tarpit costs two timeouts)
  let httpSilent = false;
  if (webFirst) {
    const h = await classifyHttp(host, port, tls, opts);
    if (h === 'refused') return refused();
    httpSilent = h === 'silent';
    if (h !== 'no' && h !== 'silent') return h;
  }
  enterStep(`dicom${tls ? '-tls' : ''}: association`);
  const d = await probeDicom(dial, opts);
  if (d.kind === 'dicom') {
    enterStep(`dicom${tls ? '-tls' : ''}: count`);
    const m = await measureExposure(dial, d.observation, opts);
    const dicom = { ...d.observation, retrieve: m.retrieve };
    return { ...blank('dicom', m.failure), dicom, exposure: m.exposure };
  }
  const c = fromNotDicom(d);
  if (c !== 'http' && c.protocol === 'silent') {
    if (httpSilent) return blank('silent', { kind: 'io-timeout', detail: 'no answer to DICOM nor to HTTP' });
    if (!webFirst) {
      const h = await classifyHttp(host, port, tls, opts);
      if (typeof h !== 'string') return h;
    }
    return c;
  }
  if (c === 'http') {
    const h = await classifyHttp(host, port, tls, opts);
    return typeof h !== 'string'
      ? h
      : {
          ...blank('http', null),
          http: {
            status: null,
            server: null,
            auth: null,
            api: null,
            dicomweb: null,
            title: null,
            retrieve: null,
            retrieveVia: null,
            aeTitles: [],
            aeTitlesFrom: null,
          },
        };
  }
  if (
    !webFirst &&
    c.protocol === 'unknown' &&
    c.failure?.kind !== 'connection-refused' &&
    c.clientCertCode === null &&
    !c.tlsAlert &&
    !c.closedSilently
  ) {
    // answered something that is neither DICOM nor an HTTP status line: one HTTP request settles it
    const h = await classifyHttp(host, port, tls, opts);
    if (typeof h !== 'string') return h;
  }
  return c;
}

/** A dialer that, once the port has answered, asks again after a pause when it refuses (a restarting server). */
function patientDialer(connect: Dialer, opts: ServiceProbeOptions, seen: PortState): Dialer {
  return async () => {
    for (let i = 0; ; i++) {
      await opts.throttle();
      const r = await connect();
      if (r.ok) seen.answered = true;
      const wait = REFUSED_BACKOFF_MS[i];
      if (r.ok || r.failure !== 'refused' || !seen.answered || wait === undefined || abandoned()) return r;
      await sleep(wait);
    }
  };
}

function tcpDialer(host: string, port: number, opts: ServiceProbeOptions, seen: PortState): Dialer {
  return patientDialer(() => tcpConnect(host, port, opts.timeoutMs), opts, seen);
}

function tlsDialer(host: string, port: number, opts: ServiceProbeOptions, seen: PortState): Dialer {
  const connect: Dialer = async () => {
    const r = await tlsConnect(host, port, opts.timeoutMs);
    return r.ok ? { ok: true, socket: r.socket } : { ok: false, failure: r.failure, code: r.code };
  };
  return patientDialer(connect, opts, seen);
}

const NO_FACTS: TlsFacts = {
  version: null,
  subject: null,
  issuer: null,
  selfSigned: null,
  notAfter: null,
  clientCertRequired: false,
};

/** Handshake once to read certificate facts; null when the port does not speak TLS. */
async function tlsFacts(
  host: string,
  port: number,
  opts: ServiceProbeOptions,
): Promise<{ facts: TlsFacts | null; code: string | null; timeout: boolean; refused: boolean }> {
  await opts.throttle();
  enterStep('tls handshake');
  const r = await tlsConnect(host, port, opts.timeoutMs);
  if (r.ok) {
    r.socket.destroy();
    return { facts: r.facts, code: null, timeout: false, refused: false };
  }
  const certAlert = isClientCertAlert(r.code);
  return {
    facts: certAlert ? (r.facts ?? NO_FACTS) : null,
    code: certAlert ? r.code : null,
    timeout: r.failure === 'timeout',
    refused: r.failure === 'refused',
  };
}

/** TLS 1.2 servers refuse a missing certificate with a generic alert: retry with our throwaway cert to tell. */
async function confirmClientCert(
  host: string,
  port: number,
  code: string,
  opts: ServiceProbeOptions,
): Promise<boolean> {
  if (/CERTIFICATE_REQUIRED/.test(code)) return true;
  await opts.throttle();
  const r = await tlsConnect(host, port, opts.timeoutMs, true);
  if (r.ok) r.socket.destroy();
  return r.ok || r.code !== code;
}

async function overTls(
  host: string,
  port: number,
  opts: ServiceProbeOptions,
  facts: TlsFacts | null,
  code: string | null,
  seen: PortState,
): Promise<{ c: Classified; tls: TlsFacts | null }> {
  if (code !== null) {
    const required = await confirmClientCert(host, port, code, opts);
    const tls = facts !== null ? { ...facts, clientCertRequired: required } : null;
    return { c: blank('unknown', { kind: 'tls-error', detail: required ? 'client certificate required' : code }), tls };
  }
  const c = await classify(host, port, 'tls', tlsDialer(host, port, opts, seen), opts);
  if (c.clientCertCode !== null) {
    const required = await confirmClientCert(host, port, c.clientCertCode, opts);
    return {
      c: { ...c, failure: { kind: 'tls-error', detail: required ? 'client certificate required' : c.clientCertCode } },
      tls: facts === null ? null : { ...facts, clientCertRequired: required },
    };
  }
  return { c, tls: facts };
}

export interface ServiceResult {
  observation: ServiceObservation;
  product: string | null;
  version: string | null;
}

/**
 * The longest probeService can take on this port, from the bounds of what it may run: a web-first
 * HTTP probe, the DICOM probe and count (or one association and an HTTP fallback), and on a
 * plain port that closed silently the TLS handshakes and the whole classification again over TLS.
 * Waits for the rate budget are not in it (the host watchdog adds them).
 */
export function serviceBoundMs(port: number, opts: ProbeOptions): number {
  const http = httpProbeBoundMs(opts);
  const web = WEB_FIRST_PORTS.has(port) ? http : 0;
  const oneAssociation = associationBoundMs(opts.timeoutMs);
  const classifying = web + Math.max(dicomProbeBoundMs(opts) + exposureBoundMs(opts), oneAssociation + http);
  const tls = 3 * opts.timeoutMs; // certificate facts, and the client-certificate check
  // pauses for a port that refuses after answering: before each probe again, and in each dial
  const pauses = REFUSED_BACKOFF_MS.reduce((a, b) => a + b, 0);
  const dials = 2 + Math.ceil(dicomProbeBoundMs(opts) / oneAssociation);
  const refusals = pauses * (1 + dials) + REFUSED_BACKOFF_MS.length * (tls + oneAssociation);
  return refusals + (TLS_FIRST_PORTS.has(port) ? tls + classifying : web + oneAssociation + tls + classifying);
}

interface Probed {
  c: Classified;
  transport: Transport;
  tls: TlsFacts | null;
}

async function probeOnce(host: string, port: number, opts: ServiceProbeOptions, seen: PortState): Promise<Probed> {
  let transport: Transport = 'tcp';
  let tls: TlsFacts | null = null;
  let c: Classified;
  if (TLS_FIRST_PORTS.has(port)) {
    const t = await tlsFacts(host, port, opts);
    if (t.timeout) {
      c = blank('silent', { kind: 'io-timeout', detail: 'no TLS handshake answer' });
    } else if (t.refused) {
      c = refused();
    } else if (t.facts !== null) {
      seen.answered = true;
      transport = 'tls';
      ({ c, tls } = await overTls(host, port, opts, t.facts, t.code, seen));
    } else {
      c = await classify(host, port, 'tcp', tcpDialer(host, port, opts, seen), opts);
    }
  } else {
    c = await classify(host, port, 'tcp', tcpDialer(host, port, opts, seen), opts);
    if (c.protocol === 'unknown' && (c.closedSilently || c.tlsAlert)) {
      const t = await tlsFacts(host, port, opts);
      if (t.facts !== null) {
        transport = 'tls';
        ({ c, tls } = await overTls(host, port, opts, t.facts, t.code, seen));
      }
    }
  }
  return { c, transport, tls };
}

const isRefused = (c: Classified): boolean => c.protocol === 'unknown' && c.failure?.kind === 'connection-refused';
/**
 * Reset before a single byte came back: a single-association server that closed its listening
 * socket with our connection still in its backlog resets it, as if it had refused (seen with
 * inetd-style SCPs); asked again like a refusal, but not called closed if it never answers.
 */
const isResetUnheard = (c: Classified): boolean =>
  c.protocol === 'unknown' && c.failure?.kind === 'connection-reset' && c.closedSilently;

/**
 * Probe one open port. A port opendoor's sweep saw open that refuses now is asked again after
 * pauses (a server that restarts after each association); if it never answers, its record says
 * closed-after-sweep: a port the sweep saw open is never silently lost.
 */
export async function probeService(host: string, port: number, opts: ServiceProbeOptions): Promise<ServiceResult> {
  const started = performance.now();
  enterStep('connect', port);
  const seen: PortState = { answered: false };
  let { c, transport, tls } = await probeOnce(host, port, opts, seen);
  for (const wait of opts.sweptOpen === true ? REFUSED_BACKOFF_MS : []) {
    if ((!isRefused(c) && !isResetUnheard(c)) || abandoned()) break;
    await sleep(wait);
    ({ c, transport, tls } = await probeOnce(host, port, opts, seen));
  }
  if (opts.sweptOpen === true && isRefused(c)) {
    const detail = `refused ${REFUSED_BACKOFF_MS.length + 1} times over ${Math.round(performance.now() - started)} ms after the sweep saw it open`;
    c = { ...c, failure: { kind: 'closed-after-sweep', detail } };
  }
  const observation: ServiceObservation = {
    host,
    port,
    transport,
    protocol: c.protocol,
    tls,
    dicom: c.dicom,
    http: c.http,
    exposure: c.exposure,
    failure: c.failure,
    elapsedMs: Math.round(performance.now() - started),
  };
  return { observation, product: c.product, version: c.version };
}

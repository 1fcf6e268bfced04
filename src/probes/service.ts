/**
 * Classifies one open port: TLS or not, then DICOM, HTTP, unknown or silent, within bounded time.
 * A tarpit costs one timeout: silence ends the classification, it never triggers another probe.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isClientCertAlert, tcpConnect, tlsConnect, type TlsFacts } from '../net/connect.js';
import { abandoned, enterStep } from '../net/hostScope.js';
import { type Classified, blank, classify, classifyBoundMs, refused, unansweredBoundMs } from './classify.js';
import { associationBoundMs } from './dicom/negotiation.js';
import { dicomProbeBoundMs } from './dicom/probe.js';
import type { Dialer, ProbeContext, ServiceObservation, Transport } from './types.js';

/** Ports where TLS is tried before plain TCP (DICOM TLS 2762, ISCL 2761, HTTPS). */
export const TLS_FIRST_PORTS = new Set([2761, 2762, 443, 8443]);

/** Pauses before asking again a port that refused after it had answered. */
export const REFUSED_BACKOFF_MS: readonly number[] = [250, 750, 1500];

/** What one probe of a port has seen so far. */
interface PortState {
  /** A connection was accepted: a later refusal is a restart, not a closed port. */
  answered: boolean;
}

/** A dialer that, once the port has answered, asks again after a pause when it refuses (a restarting server). */
function patientDialer(connect: Dialer, opts: ProbeContext, seen: PortState): Dialer {
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

function tcpDialer(host: string, port: number, opts: ProbeContext, seen: PortState): Dialer {
  return patientDialer(() => tcpConnect(host, port, opts.timeoutMs), opts, seen);
}

function tlsDialer(host: string, port: number, opts: ProbeContext, seen: PortState): Dialer {
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
  opts: ProbeContext,
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
async function confirmClientCert(host: string, port: number, code: string, opts: ProbeContext): Promise<boolean> {
  if (/CERTIFICATE_REQUIRED/.test(code)) return true;
  await opts.throttle();
  const r = await tlsConnect(host, port, opts.timeoutMs, true);
  if (r.ok) r.socket.destroy();
  return r.ok || r.code !== code;
}

async function overTls(
  host: string,
  port: number,
  opts: ProbeContext,
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
 * The longest probeService can take on this port, from the bounds of what it may run: the
 * classification (classify.ts); on a plain port that closed silently, that unanswered race, the TLS
 * handshakes and the classification again over TLS. Waits for the rate budget are not in it (the
 * host watchdog adds them).
 */
export function serviceBoundMs(port: number, opts: ProbeContext): number {
  const oneAssociation = associationBoundMs(opts.timeoutMs);
  const classifying = classifyBoundMs(opts);
  const tls = 3 * opts.timeoutMs; // certificate facts, and the client-certificate check
  // pauses for a port that refuses after answering: before each probe again, and in each dial
  const pauses = REFUSED_BACKOFF_MS.reduce((a, b) => a + b, 0);
  const dials = 2 + Math.ceil(dicomProbeBoundMs(opts) / oneAssociation);
  const refusals = pauses * (1 + dials) + REFUSED_BACKOFF_MS.length * (tls + oneAssociation);
  return refusals + (TLS_FIRST_PORTS.has(port) ? tls + classifying : unansweredBoundMs(opts) + tls + classifying);
}

interface Probed {
  c: Classified;
  transport: Transport;
  tls: TlsFacts | null;
}

async function probeOnce(host: string, port: number, opts: ProbeContext, seen: PortState): Promise<Probed> {
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
export async function probeService(host: string, port: number, opts: ProbeContext): Promise<ServiceResult> {
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

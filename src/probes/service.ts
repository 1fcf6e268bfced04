/**
 * Probes one open port through the protocol list (classify.ts: TLS, DICOM, HTTP, each first on its
 * ports, raced), within bounded time, and asks again a port that refuses after the sweep saw it open.
 * A tarpit costs one timeout: silence ends the classification, it never triggers another probe.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { tcpConnect, tlsConnect } from '../net/connect.js';
import { abandoned, enterStep } from '../net/hostScope.js';
import { type Classified, classifyPort, type PortDialers, portBoundMs } from './classify.js';
import { associationBoundMs } from './dicom/negotiation.js';
import { dicomProbeBoundMs } from './dicom/probe.js';
import type { Dialer, ProbeContext, ServiceObservation } from './types.js';

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

export interface ServiceResult {
  observation: ServiceObservation;
  product: string | null;
  version: string | null;
}

/**
 * The longest probeService can take on this port: the protocol list's bound for it (classify.ts
 * portBoundMs: the entries' own bounds), and the pauses and probes again of a port that refuses
 * after answering. Waits for the rate budget are not in it (the host watchdog adds them).
 */
export function serviceBoundMs(port: number, opts: ProbeContext): number {
  const oneAssociation = associationBoundMs(opts.timeoutMs);
  const tls = 3 * opts.timeoutMs; // certificate facts, and the client-certificate check
  // pauses for a port that refuses after answering: before each probe again, and in each dial
  const pauses = REFUSED_BACKOFF_MS.reduce((a, b) => a + b, 0);
  const dials = 2 + Math.ceil(dicomProbeBoundMs(opts) / oneAssociation);
  const refusals = pauses * (1 + dials) + REFUSED_BACKOFF_MS.length * (tls + oneAssociation);
  return refusals + portBoundMs(port, opts);
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
  const dial: PortDialers = {
    tcp: tcpDialer(host, port, opts, seen),
    tls: tlsDialer(host, port, opts, seen),
    answered: () => {
      seen.answered = true;
    },
  };
  let { c, transport, tls } = await classifyPort(host, port, opts, dial);
  for (const wait of opts.sweptOpen === true ? REFUSED_BACKOFF_MS : []) {
    if ((!isRefused(c) && !isResetUnheard(c)) || abandoned()) break;
    await sleep(wait);
    ({ c, transport, tls } = await classifyPort(host, port, opts, dial));
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

/**
 * What protocol one open port speaks, DICOM or HTTP, over a plain or a TLS connection. Both
 * guesses are raced (race.ts): the one the port's number suggests starts first (WEB_FIRST_PORTS:
 * HTTP), the other after a short silence, each on its own connection; the first whose protocol
 * answers wins. A tarpit costs one timeout; a web server that waits for a whole request behind a
 * DICOM port is still found; a DICOM server that answers at once sees one connection only.
 */
import type { Duplex } from 'node:stream';
import { isClientCertAlert } from '../net/connect.js';
import { enterStep } from '../net/hostScope.js';
import { exposureBoundMs, measureExposure } from './dicom/exposure.js';
import { associationBoundMs } from './dicom/negotiation.js';
import { dicomProbeBoundMs, probeDicom, type DicomProbeResult } from './dicom/probe.js';
import { warmHttpClient } from './http/client.js';
import { httpProbeBoundMs, probeHttp } from './http/probe.js';
import { type Guess, type GuessControl, guessDelayMs, raceGuesses } from './race.js';
import type { Dialer, ProbeFailure, ProbeContext, Protocol, ServiceObservation, Transport } from './types.js';

/** Ports where HTTP is tried before DICOM. */
export const WEB_FIRST_PORTS = new Set([80, 443, 8042, 8080, 8443, 8000, 8081, 3000, 5000, 9090]);

export interface Classified {
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

export function blank(protocol: Protocol, failure: ProbeFailure | null): Classified {
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
export const refused = (): Classified => blank('unknown', { kind: 'connection-refused', detail: 'ECONNREFUSED' });

const httpStep = (tls: boolean): string => `http${tls ? 's' : ''}`;
const dicomStep = (tls: boolean): string => `dicom${tls ? '-tls' : ''}: association`;

type HttpOutcome = Classified | 'silent' | 'refused' | 'no';

async function classifyHttp(
  host: string,
  port: number,
  tls: boolean,
  opts: ProbeContext,
  ctl?: GuessControl,
): Promise<HttpOutcome> {
  await opts.throttle();
  if (ctl?.signal.aborted === true) return 'no';
  if (ctl === undefined) enterStep(httpStep(tls));
  const h = await probeHttp(host, port, tls, opts, ctl);
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

/**
 * The dialer of the DICOM guess: the first byte any of its connections receives says the port
 * answered; once the guess has lost, its connections are destroyed and no new one is opened.
 */
function guardedDialer(dial: Dialer, ctl: GuessControl): Dialer {
  const open = new Set<Duplex>();
  ctl.signal.addEventListener('abort', () => {
    for (const s of open) s.destroy();
  });
  return async () => {
    if (ctl.signal.aborted) return { ok: false, failure: 'error', code: 'LOST_RACE' };
    const r = await dial();
    if (!r.ok) return r;
    if (ctl.signal.aborted) {
      r.socket.destroy();
      return { ok: false, failure: 'error', code: 'LOST_RACE' };
    }
    open.add(r.socket);
    r.socket.once('data', () => ctl.answered());
    r.socket.once('close', () => open.delete(r.socket));
    return r;
  };
}

type Outcome = { kind: 'dicom'; d: DicomProbeResult } | { kind: 'http'; h: HttpOutcome };

/** Where one protocol guess is made: the port, over which transport, with which dialer and options. */
interface GuessTarget {
  host: string;
  port: number;
  tls: boolean;
  dial: Dialer;
  opts: ProbeContext;
}

/**
 * One protocol opendoor can recognise on a port of unknown protocol: on which ports it is the
 * first guess, how long its probe may take (so the service's bound is derived, never hard-coded),
 * and how to make the guess.
 */
interface ProtocolEntry {
  readonly name: 'dicom' | 'http';
  readonly firstOn: ReadonlySet<number>;
  boundMs(opts: ProbeContext): number;
  guess(t: GuessTarget): Guess<Outcome>;
}

const DICOM: ProtocolEntry = {
  name: 'dicom',
  firstOn: new Set(),
  boundMs: dicomProbeBoundMs,
  guess: ({ tls, dial, opts }) => ({
    name: 'dicom',
    run: async (ctl) => ({ kind: 'dicom', d: await probeDicom(guardedDialer(dial, ctl), opts) }),
    final: (o) => o.kind === 'dicom' && o.d.kind === 'not-dicom' && o.d.failure?.kind === 'connection-refused',
    silent: (o) =>
      o.kind === 'dicom' && o.d.kind === 'not-dicom' && o.d.bytesReceived === 0 && o.d.error?.kind === 'idle-timeout',
    lead: () => enterStep(dicomStep(tls)),
  }),
};

const HTTP: ProtocolEntry = {
  name: 'http',
  firstOn: WEB_FIRST_PORTS,
  boundMs: httpProbeBoundMs,
  guess: ({ host, port, tls, opts }) => ({
    name: 'http',
    run: async (ctl) => ({ kind: 'http', h: await classifyHttp(host, port, tls, opts, ctl) }),
    final: (o) => o.kind === 'http' && o.h === 'refused',
    silent: (o) => o.kind === 'http' && o.h === 'silent',
    warm: warmHttpClient,
    lead: () => enterStep(httpStep(tls)),
  }),
};

/** The protocols, DICOM first unless the port's number says otherwise. */
const PROTOCOLS: readonly [ProtocolEntry, ProtocolEntry] = [DICOM, HTTP];

function ordered(port: number): [ProtocolEntry, ProtocolEntry] {
  const [a, b] = PROTOCOLS;
  return b.firstOn.has(port) && !a.firstOn.has(port) ? [b, a] : [a, b];
}

/**
 * The longest classify can take: the delay before the second guess, then the winner's probe and
 * what follows it — the DICOM count after a DICOM probe, or one HTTP probe after a single
 * association that was answered in something else.
 */
export function classifyBoundMs(opts: ProbeContext): number {
  const [dicom, http] = [DICOM.boundMs(opts), HTTP.boundMs(opts)];
  const answeredOther = associationBoundMs(opts.timeoutMs) + http;
  return guessDelayMs(opts.timeoutMs) + Math.max(dicom + exposureBoundMs(opts), answeredOther, http);
}

/** Neither protocol answered (a silent close, then asked again over TLS): one association, one request. */
export function unansweredBoundMs(opts: ProbeContext): number {
  return guessDelayMs(opts.timeoutMs) + associationBoundMs(opts.timeoutMs);
}

/** An HTTP status line came back to DICOM, but the HTTP probe then got nothing readable. */
function bareHttp(): Classified {
  return {
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

export async function classify(
  host: string,
  port: number,
  transport: Transport,
  dial: Dialer,
  opts: ProbeContext,
): Promise<Classified> {
  const tls = transport === 'tls';
  const [first, second] = ordered(port).map((p) => p.guess({ host, port, tls, dial, opts }));
  const race = await raceGuesses(first as Guess<Outcome>, second as Guess<Outcome>, guessDelayMs(opts.timeoutMs));
  if (race.silenced) return blank('silent', { kind: 'io-timeout', detail: 'no answer to DICOM nor to HTTP' });
  const httpSaid = race.unanswered['http'];
  const dicomSaid = race.unanswered['dicom'];
  const out = race.result;
  if (out.kind === 'http') {
    if (typeof out.h !== 'string') return out.h;
    if (out.h === 'refused' && dicomSaid === undefined) return refused();
  }
  // the DICOM guess's result: it answered, or neither did
  const d = out.kind === 'dicom' ? out.d : dicomSaid?.kind === 'dicom' ? dicomSaid.d : null;
  if (d === null) return blank('silent', { kind: 'io-timeout', detail: 'no answer to HTTP' });
  if (d.kind === 'dicom') {
    enterStep(`dicom${tls ? '-tls' : ''}: count`);
    const m = await measureExposure(dial, d.observation, opts);
    const dicom = { ...d.observation, retrieve: m.retrieve };
    return { ...blank('dicom', m.failure), dicom, exposure: m.exposure };
  }
  const c = fromNotDicom(d);
  if (c === 'http') {
    const h = await classifyHttp(host, port, tls, opts);
    return typeof h !== 'string' ? h : bareHttp();
  }
  if (c.protocol === 'silent') {
    const bothSilent = httpSaid?.kind === 'http' && httpSaid.h === 'silent';
    return bothSilent ? blank('silent', { kind: 'io-timeout', detail: 'no answer to DICOM nor to HTTP' }) : c;
  }
  if (
    !WEB_FIRST_PORTS.has(port) &&
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

/**
 * What protocol one open port speaks, DICOM or HTTP, over a plain or a TLS connection: one list of
 * protocol entries (TLS, DICOM, HTTP), each saying on which ports it goes first, how long it may
 * take and how to guess. The guesses are raced (race.ts): the one the port's number suggests starts
 * first, the other after a short silence, each on its own connection; the first whose protocol
 * answers wins. TLS wraps the others: where it goes first its handshake is raced against the plain
 * guesses; elsewhere it is asked after them, when the port closed without a byte or said a TLS
 * alert. A tarpit costs one timeout; a web server that waits for a whole request behind a DICOM
 * port is still found; a DICOM server that answers at once sees one connection only.
 */
import type { Duplex } from 'node:stream';
import { isClientCertAlert, type TlsFacts } from '../net/connect.js';
import { enterStep } from '../net/hostScope.js';
import { exposureBoundMs, measureExposure } from './dicom/exposure.js';
import { associationBoundMs } from './dicom/negotiation.js';
import { dicomProbeBoundMs, probeDicom, type DicomProbeResult } from './dicom/probe.js';
import { warmHttpClient } from './http/client.js';
import { httpProbeBoundMs, probeHttp } from './http/probe.js';
import { type Guess, type GuessControl, guessDelayMs, raceGuesses } from './race.js';
import { confirmClientCert, type Handshake, handshake, TLS_FIRST_PORTS } from './tls.js';
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

type Outcome =
  | { kind: 'dicom'; d: DicomProbeResult }
  | { kind: 'http'; h: HttpOutcome }
  | { kind: 'tls'; t: Handshake }
  /** The plain guesses' own race, run as one guess against the TLS handshake. */
  | { kind: 'plain'; c: Classified };

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
  readonly name: 'tls' | 'dicom' | 'http';
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

const TLS: ProtocolEntry = {
  name: 'tls',
  firstOn: TLS_FIRST_PORTS,
  // the handshake, the client-certificate check, then the classification over TLS
  boundMs: (opts) => 3 * opts.timeoutMs + classifyBoundMs(opts),
  guess: ({ host, port, opts }) => ({
    name: 'tls',
    run: async (ctl) => ({ kind: 'tls', t: await handshake(host, port, opts, ctl.signal, ctl.answered) }),
    final: (o) => o.kind === 'tls' && o.t.kind === 'refused',
    silent: (o) => o.kind === 'tls' && o.t.kind === 'silent',
    lead: () => enterStep('tls handshake'),
  }),
};

/**
 * The protocol list: TLS, the transport the others speak inside (raced against them where it goes
 * first, asked after them elsewhere), then DICOM and HTTP (DICOM first unless the port's number says
 * otherwise).
 */
const PROTOCOLS = [TLS, DICOM, HTTP] as const;
const [WRAPPER, ...INNER] = PROTOCOLS;

function ordered(port: number): readonly [ProtocolEntry, ProtocolEntry] {
  const [a, b] = INNER;
  return b.firstOn.has(port) && !a.firstOn.has(port) ? [b, a] : [a, b];
}

/**
 * The longest classify can take: the delay before the second guess, then the winner's probe and
 * what follows it — the DICOM count after a DICOM probe, or one HTTP probe after a single
 * association that was answered in something else.
 */
function classifyBoundMs(opts: ProbeContext): number {
  // the DICOM and HTTP entries' own bounds (never the wrapper's, whose bound is built on this one)
  const [dicom, http] = [DICOM.boundMs(opts), HTTP.boundMs(opts)];
  const answeredOther = associationBoundMs(opts.timeoutMs) + http;
  return guessDelayMs(opts.timeoutMs) + Math.max(dicom + exposureBoundMs(opts), answeredOther, http);
}

/** Neither protocol answered (a silent close, then asked again over TLS): one association, one request. */
function unansweredBoundMs(opts: ProbeContext): number {
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

async function classify(
  host: string,
  port: number,
  transport: Transport,
  dial: Dialer,
  opts: ProbeContext,
  /** Raced itself, as one guess against the TLS handshake. */
  parent?: GuessControl,
): Promise<Classified> {
  const tls = transport === 'tls';
  const [first, second] = ordered(port);
  const target: GuessTarget = { host, port, tls, dial, opts };
  const race = await raceGuesses(first.guess(target), second.guess(target), guessDelayMs(opts.timeoutMs), parent);
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

/** One port classified: what speaks there, over which transport, and the certificate's facts over TLS. */
export interface Probed {
  c: Classified;
  transport: Transport;
  tls: TlsFacts | null;
}

/** How the port is dialed (the service's patient dialers), and whom to tell that it answered. */
export interface PortDialers {
  tcp: Dialer;
  tls: Dialer;
  /** The port answered: a later refusal is a restart, not a closed port. */
  answered(): void;
}

/** The classification over TLS, once the handshake answered (or asked for a client certificate). */
async function overTls(
  host: string,
  port: number,
  opts: ProbeContext,
  h: Extract<Handshake, { kind: 'tls' }>,
  dial: Dialer,
): Promise<Probed> {
  const code = h.clientCertCode;
  const c = code !== null ? blank('unknown', null) : await classify(host, port, 'tls', dial, opts);
  const alert = code ?? c.clientCertCode;
  if (alert === null) return { c, transport: 'tls', tls: h.facts };
  const required = await confirmClientCert(host, port, alert, opts);
  const failure = { kind: 'tls-error' as const, detail: required ? 'client certificate required' : alert };
  return { c: { ...c, failure }, transport: 'tls', tls: { ...h.facts, clientCertRequired: required } };
}

/**
 * One open port through the whole list. Where the wrapper (TLS) goes first, its handshake is raced
 * against the plain guesses' own race (which starts after the delay, or at once when the handshake
 * fails); silence to the handshake for a whole timeout settles the port. Elsewhere the plain guesses
 * go first and the handshake follows when the port closed without a byte or said a TLS alert.
 */
export async function classifyPort(host: string, port: number, opts: ProbeContext, dial: PortDialers): Promise<Probed> {
  const plain = (c: Classified): Probed => ({ c, transport: 'tcp', tls: null });
  if (WRAPPER.firstOn.has(port)) {
    const first = WRAPPER.guess({ host, port, tls: false, dial: dial.tcp, opts });
    const second: Guess<Outcome> = {
      name: 'plain',
      run: async (ctl) => ({ kind: 'plain', c: await classify(host, port, 'tcp', dial.tcp, opts, ctl) }),
    };
    const race = await raceGuesses(first, second, guessDelayMs(opts.timeoutMs));
    if (race.silenced) return plain(blank('silent', { kind: 'io-timeout', detail: 'no TLS handshake answer' }));
    const out = race.result;
    if (out.kind === 'tls' && out.t.kind === 'tls') {
      dial.answered();
      return overTls(host, port, opts, out.t, dial.tls);
    }
    if (out.kind === 'plain') return plain(out.c);
    const said = race.unanswered['plain'];
    if (said?.kind === 'plain') return plain(said.c);
    return plain(out.kind === 'tls' && out.t.kind === 'refused' ? refused() : blank('unknown', null));
  }
  const c = await classify(host, port, 'tcp', dial.tcp, opts);
  if (c.protocol !== 'unknown' || !(c.closedSilently || c.tlsAlert)) return plain(c);
  enterStep('tls handshake');
  const h = await handshake(host, port, opts);
  return h.kind === 'tls' ? overTls(host, port, opts, h, dial.tls) : plain(c);
}

/**
 * The longest classifyPort can take on this port, from the entries' bounds: where the wrapper goes
 * first, the delay and its bound (the handshake, the certificate check, the classification over
 * TLS, which covers the plain guesses' run beside it); elsewhere the plain guesses that ended
 * unanswered, then the same.
 */
export function portBoundMs(port: number, opts: ProbeContext): number {
  return (WRAPPER.firstOn.has(port) ? guessDelayMs(opts.timeoutMs) : unansweredBoundMs(opts)) + WRAPPER.boundMs(opts);
}

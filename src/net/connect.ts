/** TCP and TLS connections with a timeout on every step; failures are typed values, never exceptions. */
import net from 'node:net';
import type tls from 'node:tls';

/** TLS is loaded on the first TLS port: a scan that meets none never pays for it. */
const loadTls = (): typeof tls => process.getBuiltinModule('node:tls');
import { ownSocket } from './hostScope.js';
import { PROBE_CLIENT_CERT, PROBE_CLIENT_KEY } from './probe-cert.js';

export type ConnectFailure = 'refused' | 'timeout' | 'unreachable' | 'reset' | 'error';

export type TcpOutcome = { ok: true; socket: net.Socket } | { ok: false; failure: ConnectFailure; code: string | null };

function classify(err: NodeJS.ErrnoException): ConnectFailure {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ETIMEDOUT':
      return 'timeout';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return 'unreachable';
    case 'ECONNRESET':
      return 'reset';
    default:
      return 'error';
  }
}

export function tcpConnect(host: string, port: number, timeoutMs: number): Promise<TcpOutcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, noDelay: true });
    ownSocket(socket);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ ok: false, failure: 'timeout', code: null });
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve({ ok: true, socket });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok: false, failure: classify(err), code: err.code ?? null });
    });
  });
}

/** Certificate and protocol facts of a TLS endpoint (contract: the `tls` object). */
export interface TlsFacts {
  version: string | null;
  subject: string | null;
  issuer: string | null;
  selfSigned: boolean | null;
  notAfter: string | null;
  clientCertRequired: boolean;
}

export type TlsOutcome =
  | { ok: true; socket: tls.TLSSocket; facts: TlsFacts }
  | { ok: false; failure: ConnectFailure | 'handshake'; code: string | null; facts: TlsFacts | null };

function dn(name: Record<string, string | string[] | undefined> | undefined): string | null {
  if (name === undefined) return null;
  const parts = Object.entries(name)
    .filter((e): e is [string, string | string[]] => e[1] !== undefined)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`);
  return parts.length > 0 ? parts.join(', ') : null;
}

export function certificateFacts(socket: tls.TLSSocket): TlsFacts {
  const cert = socket.getPeerCertificate(false);
  const has = cert !== null && typeof cert === 'object' && Object.keys(cert).length > 0;
  const subject = has ? dn(cert.subject as unknown as Record<string, string>) : null;
  const issuer = has ? dn(cert.issuer as unknown as Record<string, string>) : null;
  return {
    version: socket.getProtocol() ?? null,
    subject,
    issuer,
    selfSigned: has ? subject === issuer : null,
    notAfter: has && cert.valid_to ? new Date(cert.valid_to).toISOString() : null,
    clientCertRequired: false,
  };
}

/** OpenSSL error codes that mean "the server wants a client certificate". */
export function isClientCertAlert(code: string | null): boolean {
  return (
    code !== null &&
    /CERTIFICATE_REQUIRED|ALERT_HANDSHAKE_FAILURE|ALERT_BAD_CERTIFICATE|UNKNOWN_CA|ALERT_ACCESS_DENIED/.test(code)
  );
}

/** Two TLS contexts for every connection (building one per handshake cost more than the handshake). */
const contexts: { plain?: tls.SecureContext; withCert?: tls.SecureContext } = {};
function secureContext(withProbeCert: boolean): tls.SecureContext {
  if (withProbeCert) {
    contexts.withCert ??= loadTls().createSecureContext({ cert: PROBE_CLIENT_CERT, key: PROBE_CLIENT_KEY });
    return contexts.withCert;
  }
  contexts.plain ??= loadTls().createSecureContext({});
  return contexts.plain;
}

/**
 * TLS handshake without verifying the server (an auditor must see self-signed and expired
 * certificates too). withProbeCert presents opendoor's throwaway self-signed client certificate.
 */
export function tlsConnect(
  host: string,
  port: number,
  timeoutMs: number,
  withProbeCert = false,
  /** Aborted: the handshake is given up at once (the socket destroyed), as failure 'error', code ABORTED. */
  signal?: AbortSignal,
): Promise<TlsOutcome> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve({ ok: false, failure: 'error', code: 'ABORTED', facts: null });
    let facts: TlsFacts | null = null;
    const socket = loadTls().connect({
      host,
      port,
      servername: net.isIP(host) === 0 ? host : undefined,
      rejectUnauthorized: false,
      ALPNProtocols: undefined,
      secureContext: secureContext(withProbeCert),
    });
    ownSocket(socket);
    const abort = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok: false, failure: 'error', code: 'ABORTED', facts });
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort);
      socket.destroy();
      resolve({ ok: false, failure: 'timeout', code: null, facts });
    }, timeoutMs);
    signal?.addEventListener('abort', abort, { once: true });
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
      socket.setNoDelay(true);
      socket.removeAllListeners('error');
      facts = certificateFacts(socket);
      resolve({ ok: true, socket, facts });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
      try {
        if (socket.getPeerCertificate(false) !== null) facts = certificateFacts(socket);
      } catch {
        facts = null;
      }
      socket.destroy();
      const failure = err.code?.startsWith('ERR_SSL') ? 'handshake' : classify(err);
      resolve({ ok: false, failure, code: err.code ?? null, facts });
    });
  });
}

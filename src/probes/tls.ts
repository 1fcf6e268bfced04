/**
 * The TLS handshake of the protocol list's TLS entry (classify.ts): on the ports where TLS usually
 * goes first (DICOM TLS 2762, ISCL 2761, HTTPS 443 and 8443) it is the first guess, raced against
 * the plain protocols on another connection after a short silence; elsewhere it is asked after the
 * plain guesses, when the port closed without a byte or answered with a TLS alert. The guess is the
 * handshake alone (certificate facts); what speaks inside is classified afterwards, over TLS.
 */
import { isClientCertAlert, type TlsFacts, tlsConnect } from '../net/connect.js';
import type { ProbeContext } from './types.js';

/** Ports where TLS is tried before plain TCP (DICOM TLS 2762, ISCL 2761, HTTPS). */
export const TLS_FIRST_PORTS: ReadonlySet<number> = new Set([2761, 2762, 443, 8443]);

/** What the handshake said: TLS (facts, or a client-certificate alert), silence, a refusal, or not TLS. */
export type Handshake =
  | { kind: 'tls'; facts: TlsFacts; clientCertCode: string | null }
  | { kind: 'silent' }
  | { kind: 'refused' }
  | { kind: 'no' };

const NO_FACTS: TlsFacts = {
  version: null,
  subject: null,
  issuer: null,
  selfSigned: null,
  notAfter: null,
  clientCertRequired: false,
};

/** Handshake once to read the certificate's facts; the connection is closed at once. */
export async function handshake(
  host: string,
  port: number,
  ctx: ProbeContext,
  signal?: AbortSignal,
  answered?: () => void,
): Promise<Handshake> {
  await ctx.throttle();
  if (signal?.aborted === true) return { kind: 'no' };
  const r = await tlsConnect(host, port, ctx.timeoutMs, false, signal);
  if (r.ok) {
    answered?.();
    r.socket.destroy();
    return { kind: 'tls', facts: r.facts, clientCertCode: null };
  }
  if (isClientCertAlert(r.code)) {
    answered?.();
    return { kind: 'tls', facts: r.facts ?? NO_FACTS, clientCertCode: r.code };
  }
  if (r.failure === 'timeout') return { kind: 'silent' };
  if (r.failure === 'refused') return { kind: 'refused' };
  return { kind: 'no' };
}

/** TLS 1.2 servers refuse a missing certificate with a generic alert: retry with our throwaway cert to tell. */
export async function confirmClientCert(host: string, port: number, code: string, ctx: ProbeContext): Promise<boolean> {
  if (/CERTIFICATE_REQUIRED/.test(code)) return true;
  await ctx.throttle();
  const r = await tlsConnect(host, port, ctx.timeoutMs, true);
  if (r.ok) r.socket.destroy();
  return r.ok || r.code !== code;
}

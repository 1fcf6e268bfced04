/**
 * The one failure vocabulary of the probes (types.ts FailureKind, a closed set as in zgrab2), and
 * the one function that turns what a lower layer said into it: an upper-layer error of the DICOM
 * channel, a dial or HTTP outcome (`{failure, code}`), or anything thrown.
 */
import { isUpperLayerError, type UpperLayerError } from '../dicom/channel.js';
import type { FailureKind, LowerFailure, ProbeFailure } from './types.js';

const OF_UPPER_LAYER: Record<UpperLayerError['kind'], FailureKind> = {
  'idle-timeout': 'io-timeout',
  deadline: 'io-timeout',
  closed: 'connection-closed',
  reset: 'connection-reset',
  'io-error': 'tls-error',
  'not-dicom': 'protocol-error',
  'cap-exceeded': 'cap-exceeded',
  aborted: 'protocol-error',
  protocol: 'protocol-error',
};

const OF_LOWER: Record<LowerFailure['failure'], FailureKind> = {
  refused: 'connection-refused',
  timeout: 'io-timeout',
  handshake: 'tls-error',
  reset: 'connection-reset',
  unreachable: 'connection-reset',
  error: 'connection-reset',
  'not-http': 'protocol-error',
  'too-large': 'cap-exceeded',
};

const isLower = (e: unknown): e is LowerFailure =>
  typeof e === 'object' && e !== null && typeof (e as LowerFailure).failure === 'string' && 'code' in e;

/** Any failure, in the probes' vocabulary; the detail names codes and kinds, never a peer's text. */
export function toFailure(e: unknown): ProbeFailure {
  if (isUpperLayerError(e)) {
    const kind =
      e.kind === 'io-error' && !(e.code ?? '').startsWith('ERR_SSL') ? 'connection-reset' : OF_UPPER_LAYER[e.kind];
    return { kind, detail: e.code !== null ? `${e.kind}: ${e.code}` : `${e.kind}: ${e.message}` };
  }
  if (isLower(e)) return { kind: OF_LOWER[e.failure] ?? 'connection-reset', detail: e.code ?? e.failure };
  return { kind: 'protocol-error', detail: e instanceof Error ? e.name : 'unknown error' };
}

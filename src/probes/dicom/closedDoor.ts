/**
 * A closed door still says who built it: how a server refuses an association it will not take.
 * Two more harmless association requests (no data, released or refused at once), each one counted
 * in the host's attempts: an unsupported protocol version (PS3.8 9.3.2, bit 1 only) and an unknown
 * application context name. Their answers, with the first rejection, form the rejection profile
 * that src/fingerprint/rejection.ts matches against patterns observed on real servers.
 */
import { OPENDOOR_IMPLEMENTATION_CLASS_UID } from '../../dicom/uids.js';
import type { AssociationAttempt, Dialer, RejectionProfile } from '../types.js';
import { OPENDOOR_CALLING_AE, UNLIKELY_CALLED_AE } from './aeTitles.js';
import { type AttemptLimits, attemptAssociation } from './negotiation.js';

/** An application context name that no server knows (under opendoor's own root). */
const UNKNOWN_APPLICATION_CONTEXT = `${OPENDOOR_IMPLEMENTATION_CLASS_UID}.3`;

export function answerOf(a: AssociationAttempt): string {
  if (a.rejection !== null) return `RJ ${a.rejection.result}/${a.rejection.source}/${a.rejection.reason}`;
  if (a.outcome === 'accepted') return 'AC';
  if (a.outcome === 'aborted') return 'abort';
  return `failed:${a.failure?.kind ?? 'unknown'}`;
}

export async function closedDoorProfile(
  dial: Dialer,
  limits: AttemptLimits,
  first: AssociationAttempt,
  record: (a: AssociationAttempt) => void,
): Promise<RejectionProfile> {
  const version = await attemptAssociation(dial, UNLIKELY_CALLED_AE, OPENDOOR_CALLING_AE, limits, undefined, {
    protocolVersion: 2,
  });
  record(version.attempt);
  const context = await attemptAssociation(dial, UNLIKELY_CALLED_AE, OPENDOOR_CALLING_AE, limits, undefined, {
    applicationContext: UNKNOWN_APPLICATION_CONTEXT,
  });
  record(context.attempt);
  return {
    calledAe: answerOf(first),
    protocolVersion: answerOf(version.attempt),
    applicationContext: answerOf(context.attempt),
  };
}

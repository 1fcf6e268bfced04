/**
 * One association attempt as a stranger: what we offer, what came back, a C-ECHO when Verification
 * is accepted, then A-RELEASE (or A-ABORT on error). Never sends a data set.
 */
import type { Duplex } from 'node:stream';
import { Association, requestAssociation } from '../../dicom/association.js';
import { PduChannel, isUpperLayerError, type UpperLayerError } from '../../dicom/channel.js';
import type { AssociateAc, AssociateRj, AssociateRq, PresentationContextRq, RoleSelection } from '../../dicom/pdu.js';
import {
  NONEXISTENT_SOP_CLASS,
  OPENDOOR_IMPLEMENTATION_CLASS_UID,
  OPENDOOR_IMPLEMENTATION_VERSION,
  STORAGE_SOP_CLASSES,
  SopClass,
} from '../../dicom/uids.js';
import { toFailure } from '../failure.js';
import type { AssociationAttempt, Dialer, ProbeFailure, Rejection } from '../types.js';
import { contextsFor } from './contexts.js';

/** Our advertised maximum P-DATA-TF length: the framer refuses anything larger. */
export const MAX_PDU_LENGTH = 65536;
/** Bytes accepted from one peer over one probing association. */
export const PROBE_BYTE_CAP = 1024 * 1024;

const OFFERED: readonly string[] = [
  SopClass.Verification,
  SopClass.StudyRootFind,
  SopClass.PatientRootFind,
  SopClass.StudyRootGet,
  SopClass.StudyRootMove,
  ...STORAGE_SOP_CLASSES,
  NONEXISTENT_SOP_CLASS,
];

export function probeContexts(): PresentationContextRq[] {
  return contextsFor(OFFERED);
}

export function associateRq(
  calledAe: string,
  callingAe: string,
  contexts = probeContexts(),
  roleSelections: RoleSelection[] = [],
): AssociateRq {
  return {
    calledAe,
    callingAe,
    presentationContexts: contexts,
    maxPduLength: MAX_PDU_LENGTH,
    implementationClassUid: OPENDOOR_IMPLEMENTATION_CLASS_UID,
    implementationVersionName: OPENDOOR_IMPLEMENTATION_VERSION,
    roleSelections,
  };
}

const USER_REASONS: Record<number, string> = {
  1: 'no-reason-given',
  2: 'application-context-name-not-supported',
  3: 'calling-AE-title-not-recognized',
  7: 'called-AE-title-not-recognized',
};
const ACSE_REASONS: Record<number, string> = { 1: 'no-reason-given', 2: 'protocol-version-not-supported' };
const PRESENTATION_REASONS: Record<number, string> = { 1: 'temporary-congestion', 2: 'local-limit-exceeded' };

/** PS3.8 table 9-21: the meaning of (source, reason) in A-ASSOCIATE-RJ. */
export function rejectionMeaning(source: number, reason: number): string {
  const table = source === 1 ? USER_REASONS : source === 2 ? ACSE_REASONS : source === 3 ? PRESENTATION_REASONS : {};
  return table[reason] ?? `reserved (source ${source}, reason ${reason})`;
}

export function toRejection(result: number, source: number, reason: number): Rejection {
  return { result, source, reason, meaning: rejectionMeaning(source, reason) };
}

export interface AttemptResult {
  attempt: AssociationAttempt;
  ac: AssociateAc | null;
  /** C-ECHO status when Verification was accepted and the echo answered. */
  echoStatus: number | null;
  /** For classification of a peer that did not speak DICOM. */
  upperLayerError: UpperLayerError | null;
  firstBytes: Buffer;
  bytesReceived: number;
}

export interface AttemptLimits {
  timeoutMs: number;
}

/**
 * Dial, associate, echo, release. With `keep`, an accepted association is handed to the callback
 * before release (used by the counting layer); the association is always closed on return.
 */
export async function attemptAssociation(
  dial: Dialer,
  calledAe: string,
  callingAe: string,
  limits: AttemptLimits,
  keep?: (assoc: Association) => Promise<void>,
  /** A variant request (another protocol version or application context), to learn how a server refuses. */
  variant: Pick<AssociateRq, 'protocolVersion' | 'applicationContext'> = {},
): Promise<AttemptResult> {
  const base = { calledAe, callingAe };
  const opened = await dial();
  if (!opened.ok) {
    return {
      attempt: { ...base, outcome: 'failed', rejection: null, failure: toFailure(opened) },
      ac: null,
      echoStatus: null,
      upperLayerError: null,
      firstBytes: Buffer.alloc(0),
      bytesReceived: 0,
    };
  }
  const channel = newChannel(opened.socket, limits.timeoutMs);
  const rq = { ...associateRq(calledAe, callingAe), ...variant };
  const done = (
    attempt: AssociationAttempt,
    ac: AssociateAc | null,
    echoStatus: number | null,
    err: UpperLayerError | null,
  ): AttemptResult => {
    channel.destroy();
    return {
      attempt,
      ac,
      echoStatus,
      upperLayerError: err,
      firstBytes: channel.firstBytes,
      bytesReceived: channel.bytesReceived,
    };
  };
  let answer: AssociateAc | AssociateRj;
  try {
    answer = await requestAssociation(channel, rq);
  } catch (e) {
    const err = isUpperLayerError(e) ? e : null;
    const aborted = err?.kind === 'aborted';
    return done(
      { ...base, outcome: aborted ? 'aborted' : 'failed', rejection: null, failure: toFailure(e) },
      null,
      null,
      err,
    );
  }
  if (answer.type === 'associate-rj') {
    return done(
      {
        ...base,
        outcome: 'rejected',
        rejection: toRejection(answer.result, answer.source, answer.reason),
        failure: null,
      },
      null,
      null,
      null,
    );
  }
  const assoc = new Association(channel, rq, answer);
  let echoStatus: number | null = null;
  let failure: ProbeFailure | null = null;
  try {
    const verification = assoc.contextFor(SopClass.Verification);
    if (verification !== null) echoStatus = await assoc.echo(verification.id, SopClass.Verification);
    if (keep !== undefined) await keep(assoc);
    await assoc.release();
  } catch (e) {
    failure = toFailure(e);
    assoc.abort();
  }
  return done({ ...base, outcome: 'accepted', rejection: null, failure }, answer, echoStatus, null);
}

/** The longest one probing association can take: its connect, then the channel's deadline. */
export function associationBoundMs(timeoutMs: number): number {
  return timeoutMs + timeoutMs * 4;
}

export function newChannel(
  socket: Duplex,
  timeoutMs: number,
  deadlineMs = timeoutMs * 4,
  maxTotalBytes = PROBE_BYTE_CAP,
): PduChannel {
  return new PduChannel(socket, { idleTimeoutMs: timeoutMs, deadlineMs, maxPduLength: MAX_PDU_LENGTH, maxTotalBytes });
}

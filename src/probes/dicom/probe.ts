/**
 * The DICOM probe: is this port a DICOM upper layer, who implements it, and what does it let a
 * stranger do (AE-title policy, offered services)? One association at a time, released politely.
 */
import { createHash } from 'node:crypto';
import type { AssociateAc } from '../../dicom/pdu.js';
import { NONEXISTENT_SOP_CLASS, STORAGE_SOP_CLASSES, SopClass } from '../../dicom/uids.js';
import type { UpperLayerError } from '../../dicom/channel.js';
import {
  depthAtLeast,
  type AssociationAttempt,
  type DicomObservation,
  type Dialer,
  type ProbeFailure,
  type ProbeContext,
} from '../types.js';
import { MAX_HINTS, OPENDOOR_CALLING_AE, UNLIKELY_CALLED_AE, calledAeCandidates } from './aeTitles.js';
import { associationBoundMs, attemptAssociation, probeContexts, type AttemptResult } from './negotiation.js';
import { testFind, type FindTest } from './findTest.js';
import type { Association } from '../../dicom/association.js';
import { enterStep } from '../../net/hostScope.js';
import { closedDoorProfile } from './closedDoor.js';

export type DicomProbeResult =
  | { kind: 'dicom'; observation: DicomObservation }
  /** The peer did not answer as DICOM: what it did instead, for the service classifier. */
  | {
      kind: 'not-dicom';
      error: UpperLayerError | null;
      firstBytes: Buffer;
      bytesReceived: number;
      failure: AttemptResult['attempt']['failure'];
    };

function spokeDicom(r: AttemptResult): boolean {
  return r.attempt.outcome === 'accepted' || r.attempt.outcome === 'rejected' || r.attempt.outcome === 'aborted';
}

/** An observation with nothing seen yet. */
export function emptyObservation(): DicomObservation {
  return {
    implementationClassUid: null,
    implementationVersionName: null,
    maxPduLength: null,
    calledAe: null,
    calledAeSource: null,
    recognisedCalledAe: null,
    anyCalledAe: null,
    anyCallingAe: null,
    rejection: null,
    rejectedAe: null,
    echo: null,
    find: null,
    findRefusal: null,
    findModels: [],
    getAccepted: null,
    moveAccepted: null,
    retrieve: null,
    storageAccepted: null,
    acceptsNonexistentSopClass: null,
    phantomMatches: null,
    rejectionProfile: null,
    attempts: [],
  };
}

/** Fill what an accepted association tells: identity and which of our offered contexts were accepted. */
function fromAccepted(
  obs: DicomObservation,
  ac: AssociateAc,
  echoStatus: number | null,
  offered: Map<number, string>,
): void {
  obs.implementationClassUid = ac.implementationClassUid;
  obs.implementationVersionName = ac.implementationVersionName;
  obs.maxPduLength = ac.maxPduLength;
  obs.acceptPrint = createHash('sha256').update(JSON.stringify(ac)).digest('base64url').slice(0, 22);
  const accepted = new Set(ac.presentationContexts.filter((pc) => pc.result === 0).map((pc) => offered.get(pc.id)));
  obs.echo = accepted.has(SopClass.Verification) ? echoStatus === 0 : false;
  obs.findModels = [SopClass.StudyRootFind, SopClass.PatientRootFind].filter((uid) => accepted.has(uid));
  obs.find = obs.findModels.length > 0;
  obs.getAccepted = accepted.has(SopClass.StudyRootGet);
  obs.moveAccepted = accepted.has(SopClass.StudyRootMove);
  obs.storageAccepted = STORAGE_SOP_CLASSES.some((uid) => accepted.has(uid));
  obs.acceptsNonexistentSopClass = accepted.has(NONEXISTENT_SOP_CLASS);
}

/**
 * Applies a C-FIND permission test's outcome: a negotiated FIND context is not a permitted C-FIND.
 * Where the test was due (--depth access and above) and never ran — the association failed before
 * it — whether a stranger may query is unknown: null, never the negotiation's optimistic true.
 */
function applyFindTest(obs: DicomObservation, test: FindTest | null, due: boolean, failure: ProbeFailure | null): void {
  if (test === null) {
    if (due && obs.find === true) {
      obs.find = null;
      obs.findRefusal = `not tested: ${failure?.detail ?? 'association ended first'}`;
    }
    return;
  }
  obs.find = test.allowed;
  obs.findRefusal = test.allowed ? null : test.detail;
  obs.phantomMatches = test.matches;
}

/** The longest probeDicom can take: every association it may attempt, each at its bound. */
export function dicomProbeBoundMs(opts: Pick<ProbeContext, 'timeoutMs' | 'depth' | 'aeTitles'>): number {
  // hints add at most MAX_HINTS titles (what the host's other services told); a closed door two more
  const attempts =
    1 + (depthAtLeast(opts.depth, 'access') ? calledAeCandidates(opts.aeTitles).length + MAX_HINTS + 2 : 0);
  return attempts * associationBoundMs(opts.timeoutMs);
}

/**
 * The DICOM probe: the association policy, then, behind a closed door (no called AE title let us
 * in) at --depth access and above, how the server refuses (closedDoor.ts).
 */
export async function probeDicom(dial: Dialer, opts: ProbeContext): Promise<DicomProbeResult> {
  const r = await probeAssociations(dial, opts);
  if (r.kind !== 'dicom' || r.observation.calledAe !== null || !depthAtLeast(opts.depth, 'access')) return r;
  const obs = r.observation;
  const first = obs.attempts[0];
  if (first === undefined) return r;
  enterStep('dicom: closed door');
  obs.rejectionProfile = await closedDoorProfile(dial, { timeoutMs: opts.timeoutMs }, first, (a) => {
    if (obs.attempts.length < 64) obs.attempts.push(a);
  });
  return r;
}

async function probeAssociations(dial: Dialer, opts: ProbeContext): Promise<DicomProbeResult> {
  const limits = { timeoutMs: opts.timeoutMs };
  const offered = new Map(probeContexts().map((pc) => [pc.id, pc.abstractSyntax]));
  let findTest: FindTest | null = null;
  const keep = depthAtLeast(opts.depth, 'access')
    ? async (assoc: Association) => {
        enterStep('dicom: find test');
        findTest = await testFind(assoc);
      }
    : undefined;
  const first = await attemptAssociation(dial, UNLIKELY_CALLED_AE, OPENDOOR_CALLING_AE, limits, keep);
  if (!spokeDicom(first)) {
    return {
      kind: 'not-dicom',
      error: first.upperLayerError,
      firstBytes: first.firstBytes,
      bytesReceived: first.bytesReceived,
      failure: first.attempt.failure,
    };
  }
  const obs = emptyObservation();
  const record = (a: AssociationAttempt) => {
    if (obs.attempts.length < 64) obs.attempts.push(a);
    if (a.rejection !== null) obs.rejection = a.rejection;
  };
  record(first.attempt);
  if (first.ac !== null) {
    fromAccepted(obs, first.ac, first.echoStatus, offered);
    applyFindTest(obs, findTest, keep !== undefined, first.attempt.failure);
    obs.calledAe = UNLIKELY_CALLED_AE;
    obs.calledAeSource = 'made-up';
    obs.anyCalledAe = true;
    obs.anyCallingAe = true;
    obs.rejection = null;
    return { kind: 'dicom', observation: obs };
  }
  if (refusesCaller(first)) {
    // the made-up called AE was not what it objected to: it checks only the caller
    obs.rejectedAe = 'calling';
    obs.anyCallingAe = false;
    return { kind: 'dicom', observation: obs };
  }
  obs.anyCalledAe = first.attempt.outcome === 'rejected' ? false : null;
  if (!depthAtLeast(opts.depth, 'access')) return { kind: 'dicom', observation: obs };

  const titles = calledAeCandidates(opts.aeTitles, opts.aeHints);
  for (const [i, { title, source }] of titles.entries()) {
    enterStep(`dicom: called AE ${i + 1}/${titles.length}`);
    const r = await attemptAssociation(dial, title, OPENDOOR_CALLING_AE, limits, keep);
    record(r.attempt);
    opts.log.debug(`dicom: called AE ${title}: ${r.attempt.outcome}`);
    if (r.ac !== null) {
      fromAccepted(obs, r.ac, r.echoStatus, offered);
      applyFindTest(obs, findTest, keep !== undefined, r.attempt.failure);
      obs.calledAe = title;
      obs.calledAeSource = source;
      obs.anyCallingAe = true;
      obs.rejectedAe = 'called';
      return { kind: 'dicom', observation: obs };
    }
    if (refusesCaller(r)) {
      // right called AE, unknown caller: the title is found, and only known peers get in
      obs.recognisedCalledAe = title;
      obs.calledAeSource = source;
      obs.rejectedAe = 'calling';
      obs.anyCallingAe = false;
      return { kind: 'dicom', observation: obs };
    }
    // a server that stops answering or aborts is not asked again
    if (r.attempt.outcome === 'failed' || r.attempt.outcome === 'aborted') break;
    // transient rejection (congestion): back off rather than insist
    if (r.attempt.rejection !== null && r.attempt.rejection.result === 2) break;
  }
  obs.rejectedAe = 'unknown';
  return { kind: 'dicom', observation: obs };
}

/** A-ASSOCIATE-RJ from the service user with reason 3: the calling AE title is what was refused. */
function refusesCaller(r: AttemptResult): boolean {
  return r.attempt.rejection !== null && r.attempt.rejection.source === 1 && r.attempt.rejection.reason === 3;
}

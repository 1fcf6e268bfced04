/**
 * --depth count / retrieve: one more association with the called AE title the probe found, offering
 * only Query/Retrieve (and, for retrieve, C-GET with SCP role for common storage classes), to count
 * what a stranger can read and prove that an image can be taken. Always released or aborted.
 */
import { Association, requestAssociation } from '../../dicom/association.js';
import { datasetCodec } from '../../dicom/dataset.js';
import { SopClass } from '../../dicom/uids.js';
import {
  countBounds,
  depthAtLeast,
  type DicomObservation,
  type Dialer,
  type ExposureObservation,
  type ProbeFailure,
  type ProbeContext,
} from '../types.js';
import { enterStep } from '../../net/hostScope.js';
import { OPENDOOR_CALLING_AE } from './aeTitles.js';
import { countExposure } from './count.js';
import { toFailure } from '../failure.js';
import { associateRq, newChannel } from './negotiation.js';
import { proveRetrieval, retrieveContexts } from './retrieve.js';
import { contextsFor } from './contexts.js';

/** Bytes accepted over one counting association: answers are streamed and dropped, this only stops a firehose. */
const COUNT_BYTE_CAP = 512 * 1024 * 1024;

export interface ExposureResult {
  exposure: ExposureObservation | null;
  retrieve: boolean | null;
  failure: ProbeFailure | null;
}

/** The longest measureExposure can take: a connect, then the counting channel's deadline. */
export function exposureBoundMs(opts: Pick<ProbeContext, 'timeoutMs' | 'depth' | 'countBudgetMs'>): number {
  return depthAtLeast(opts.depth, 'count') ? opts.timeoutMs + countingDeadlineMs(opts) : 0;
}

const countingDeadlineMs = (opts: Pick<ProbeContext, 'timeoutMs' | 'countBudgetMs'>): number =>
  opts.countBudgetMs + 2 * opts.timeoutMs;

export async function measureExposure(
  dial: Dialer,
  dicom: DicomObservation,
  opts: ProbeContext,
): Promise<ExposureResult> {
  const none: ExposureResult = { exposure: null, retrieve: null, failure: null };
  if (dicom.calledAe === null || dicom.find !== true || !depthAtLeast(opts.depth, 'count')) return none;
  await datasetCodec();
  const wantRetrieve = depthAtLeast(opts.depth, 'retrieve') && dicom.getAccepted === true;
  const find = contextsFor([SopClass.StudyRootFind, SopClass.PatientRootFind]);
  const get = wantRetrieve ? retrieveContexts(find.length * 2 + 1) : { contexts: [], roles: [] };
  const opened = await dial();
  if (!opened.ok) return { ...none, failure: toFailure(opened) };
  const channel = newChannel(opened.socket, opts.timeoutMs, countingDeadlineMs(opts), COUNT_BYTE_CAP);
  const rq = associateRq(dicom.calledAe, OPENDOOR_CALLING_AE, [...find, ...get.contexts], get.roles);
  let assoc: Association | null = null;
  try {
    const answer = await requestAssociation(channel, rq);
    if (answer.type !== 'associate-ac') {
      channel.destroy();
      return { ...none, failure: { kind: 'protocol-error', detail: 'counting association rejected' } };
    }
    assoc = new Association(channel, rq, answer);
    const exposure = await countExposure(assoc, countBounds(opts), opts.log, opts.printKey ?? null);
    let retrieve: boolean | null = null;
    const findCtx = assoc.contextFor(SopClass.StudyRootFind);
    const getCtx = assoc.contextFor(SopClass.StudyRootGet);
    if (wantRetrieve && findCtx !== null) {
      if (getCtx === null) retrieve = false;
      else if (exposure !== null && exposure.instances > 0) {
        try {
          enterStep('dicom: retrieve (C-GET)');
          const r = await proveRetrieval(assoc, findCtx, getCtx);
          retrieve = r.retrieved;
          opts.log.debug(
            r.retrieved
              ? `retrieval proven: ${r.bytes} bytes received and discarded`
              : `retrieval refused: ${r.reason}`,
          );
        } catch (e) {
          // an A-ABORT in answer to C-GET is a refusal; the counts already made stand
          retrieve = false;
          opts.log.debug(`retrieval refused: ${toFailure(e).detail}`);
        }
      }
    }
    await assoc.release();
    return { exposure, retrieve, failure: null };
  } catch (e) {
    if (assoc !== null) assoc.abort();
    else channel.destroy();
    return { ...none, failure: toFailure(e) };
  }
}

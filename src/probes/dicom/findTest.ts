/**
 * Is C-FIND really permitted? Servers such as Orthanc accept the FIND presentation context from
 * anyone and refuse the query itself (A-ABORT or a failure status) for unknown callers. The test
 * asks for a study UID that cannot exist under opendoor's own root, so no patient data can answer.
 */
import type { Association } from '../../dicom/association.js';
import { datasetCodec, encodeIdentifier, type Identifier } from '../../dicom/dataset.js';
import { OPENDOOR_IMPLEMENTATION_CLASS_UID, SopClass } from '../../dicom/uids.js';
import { toFailure } from '../failure.js';

/** `matches`: answers to a query for a study that cannot exist (a real archive has none: a honeypot tell). */
export type FindTest = { allowed: true; matches: number } | { allowed: false; detail: string; matches: number };

const NO_SUCH_STUDY = `${OPENDOOR_IMPLEMENTATION_CLASS_UID}.2`;

export async function testFind(assoc: Association): Promise<FindTest | null> {
  const ctx = assoc.contextFor(SopClass.StudyRootFind) ?? assoc.contextFor(SopClass.PatientRootFind);
  if (ctx === null) return null;
  await datasetCodec();
  const level = ctx.abstractSyntax === SopClass.StudyRootFind ? 'STUDY' : 'PATIENT';
  const identifier: Identifier =
    level === 'STUDY'
      ? { QueryRetrieveLevel: level, StudyInstanceUID: NO_SUCH_STUDY }
      : { QueryRetrieveLevel: level, PatientID: NO_SUCH_STUDY };
  let matches = 0;
  try {
    const gen = assoc.find(ctx.id, ctx.abstractSyntax, encodeIdentifier(identifier, ctx.transferSyntax));
    for (;;) {
      const next = await gen.next();
      if (next.done === true) {
        return next.value === 0
          ? { allowed: true, matches }
          : { allowed: false, detail: `C-FIND status 0x${next.value.toString(16).padStart(4, '0')}`, matches };
      }
      matches++; // read and dropped: only that there was an answer matters
    }
  } catch (e) {
    const f = toFailure(e);
    return { allowed: false, detail: f.detail, matches };
  }
}

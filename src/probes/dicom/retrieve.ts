/**
 * Retrieval proof (--depth retrieve): C-GET one instance (PS3.4 C.4.3) and count its bytes as they
 * arrive, keeping none of them. The instance is chosen by a C-FIND walk that is cancelled after the
 * first answer at each level.
 */
import type { AcceptedContext, Association } from '../../dicom/association.js';
import { decodeDataset, encodeIdentifier, type Identifier } from '../../dicom/dataset.js';
import { CommandField, NO_DATA_SET, Status, isPending } from '../../dicom/dimse.js';
import type { PresentationContextRq, RoleSelection } from '../../dicom/pdu.js';
import { SopClass } from '../../dicom/uids.js';
import { contextsFor } from './contexts.js';

/** Storage SOP classes we accept as C-GET sub-operations (SCP role): the common image types. */
export const RETRIEVABLE_STORAGE: readonly string[] = [
  '1.2.840.10008.5.1.4.1.1.2', // CT Image
  '1.2.840.10008.5.1.4.1.1.4', // MR Image
  '1.2.840.10008.5.1.4.1.1.7', // Secondary Capture Image
  '1.2.840.10008.5.1.4.1.1.1', // CR Image
  '1.2.840.10008.5.1.4.1.1.1.1', // Digital X-Ray Image - For Presentation
  '1.2.840.10008.5.1.4.1.1.6.1', // Ultrasound Image
  '1.2.840.10008.5.1.4.1.1.1.2', // Digital Mammography X-Ray Image - For Presentation
  '1.2.840.10008.5.1.4.1.1.128', // PET Image
  '1.2.840.10008.5.1.4.1.1.20', // Nuclear Medicine Image
  '1.2.840.10008.5.1.4.1.1.12.1', // X-Ray Angiographic Image
  '1.2.840.10008.5.1.4.1.1.2.1', // Enhanced CT Image
  '1.2.840.10008.5.1.4.1.1.4.1', // Enhanced MR Image
];

/** Contexts and role selections to propose when retrieval is to be proven. */
export function retrieveContexts(firstId: number): { contexts: PresentationContextRq[]; roles: RoleSelection[] } {
  const contexts = contextsFor([SopClass.StudyRootGet, ...RETRIEVABLE_STORAGE], firstId);
  return { contexts, roles: RETRIEVABLE_STORAGE.map((sopClassUid) => ({ sopClassUid, scu: false, scp: true })) };
}

async function firstAnswer(
  assoc: Association,
  find: AcceptedContext,
  identifier: Identifier,
  key: string[],
): Promise<string[] | null> {
  const gen = assoc.find(find.id, find.abstractSyntax, encodeIdentifier(identifier, find.transferSyntax));
  for (;;) {
    const next = await gen.next();
    if (next.done === true) return null;
    const ds = decodeDataset(next.value, find.transferSyntax);
    const values = key.map((k) => ds.text(k));
    if (values.every((v) => v !== '')) {
      await gen.return(0); // C-CANCEL the rest
      return values;
    }
  }
}

export type RetrieveOutcome =
  | { retrieved: true; bytes: number }
  | { retrieved: false; status: number | null; reason: string };

/** Find one instance, C-GET it, count its bytes, discard them. */
export async function proveRetrieval(
  assoc: Association,
  find: AcceptedContext,
  get: AcceptedContext,
): Promise<RetrieveOutcome> {
  const study = await firstAnswer(assoc, find, { QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '' }, [
    'StudyInstanceUID',
  ]);
  if (study === null) return { retrieved: false, status: null, reason: 'no study to retrieve' };
  const series = await firstAnswer(
    assoc,
    find,
    { QueryRetrieveLevel: 'SERIES', StudyInstanceUID: study[0] ?? '', SeriesInstanceUID: '' },
    ['SeriesInstanceUID'],
  );
  if (series === null) return { retrieved: false, status: null, reason: 'no series to retrieve' };
  const image = await firstAnswer(
    assoc,
    find,
    {
      QueryRetrieveLevel: 'IMAGE',
      StudyInstanceUID: study[0] ?? '',
      SeriesInstanceUID: series[0] ?? '',
      SOPInstanceUID: '',
    },
    ['SOPInstanceUID'],
  );
  if (image === null) return { retrieved: false, status: null, reason: 'no instance to retrieve' };
  const identifier = encodeIdentifier(
    {
      QueryRetrieveLevel: 'IMAGE',
      StudyInstanceUID: study[0] ?? '',
      SeriesInstanceUID: series[0] ?? '',
      SOPInstanceUID: image[0] ?? '',
    },
    get.transferSyntax,
  );
  const messageId = assoc.newMessageId();
  assoc.send(
    get.id,
    {
      commandField: CommandField.CGetRq,
      affectedSopClassUid: get.abstractSyntax,
      messageId,
      priority: 0,
      commandDataSetType: 0,
    },
    identifier,
  );
  let bytes = 0;
  let stored = 0;
  for (;;) {
    const msg = await assoc.receive(true); // data sets are counted, never kept
    const cmd = msg.command;
    if (cmd.commandField === CommandField.CStoreRq) {
      bytes += msg.datasetLength;
      stored++;
      assoc.send(msg.contextId, {
        commandField: CommandField.CStoreRsp,
        affectedSopClassUid: cmd.affectedSopClassUid,
        affectedSopInstanceUid: cmd.affectedSopInstanceUid,
        messageIdBeingRespondedTo: cmd.messageId,
        status: Status.Success,
        commandDataSetType: NO_DATA_SET,
      });
    } else if (cmd.commandField === CommandField.CGetRsp) {
      if (isPending(cmd.status)) continue;
      if (stored > 0 && bytes > 0) return { retrieved: true, bytes };
      return {
        retrieved: false,
        status: cmd.status ?? null,
        reason: `C-GET ended with status 0x${(cmd.status ?? 0).toString(16)} and no instance`,
      };
    }
  }
}

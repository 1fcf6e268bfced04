/**
 * Toolkits told from how they refuse (a closed door): the rejection profile of closedDoor.ts —
 * the answers to a made-up called AE (from our unknown calling AE), to protocol version 2 and to
 * an unknown application context — matched against what each stack's own source answers.
 *
 * Each row is one stack read from its source (file and line) or observed on the real server. A
 * profile names a toolkit only when every row that gives it belongs to that one toolkit; a profile
 * two toolkits give names nothing (a wrong name is worse than none). `test/rejection.test.ts`
 * checks that mechanically over the whole table.
 */
import type { RejectionProfile } from '../probes/types.js';

/** An answer as closedDoor.ts writes it: `RJ result/source/reason`. */
export type Rj = `RJ ${number}/${number}/${number}`;

/**
 * How a stack answers a request that is wrong in this one respect. `first`: the stack never looks
 * at it (or a later check overrides it), so the same check that refused our first request refuses
 * this one with the same answer.
 */
export type Answer = Rj | 'first';

export interface RejectionRow {
  toolkit: string;
  /** The server or configuration the row is about. */
  stack: string;
  /** Its answer to an unknown called AE title ([] where the source never checks it). */
  calledAe: readonly Rj[];
  /** Its answer to an unknown calling AE title ([] where the source never checks it). */
  callingAe: readonly Rj[];
  protocolVersion: Answer;
  applicationContext: Answer;
  /** Repository, file and line of each answer, or the real server it was observed on. */
  source: string;
}

export const REJECTION_ROWS: readonly RejectionRow[] = [
  {
    toolkit: 'DCMTK',
    stack: 'dcmqrscp',
    calledAe: ['RJ 1/1/7'],
    callingAe: ['RJ 1/1/7'],
    protocolVersion: 'RJ 1/2/2',
    applicationContext: 'RJ 2/1/2',
    source:
      'DCMTK/dcmtk dcmnet/libsrc/dulparse.cc:159 (protocol bit 0); dcmqrdb/libsrc/dcmqrsrv.cc:1034-1038 and 528-531 ' +
      '(CTN_BadAppContext: transient), 1059-1067 and 538-541 (peerInAETitle checks both titles: CTN_BadAEService); ' +
      'observed on dcmqrscp 3.6.7 (test/scan.integration.test.ts)',
  },
  {
    toolkit: 'DCMTK',
    stack: 'Orthanc (storescp checks the context alike)',
    calledAe: ['RJ 1/1/7'],
    callingAe: ['RJ 1/1/3'],
    protocolVersion: 'RJ 1/2/2',
    applicationContext: 'RJ 1/1/2',
    source:
      'jodogne/OrthancMirror OrthancFramework/Sources/DicomNetworking/Internals/CommandDispatcher.cpp:582-589 ' +
      '(context), 602-610 (IsMyAETitle), 617-625 (IsAllowedConnection); DCMTK/dcmtk dcmnet/apps/storescp.cc:1510-1517; ' +
      'observed on Orthanc 1.10 (test/closedDoors.integration.test.ts) and storescp 3.6.7',
  },
  {
    toolkit: 'dcm4che',
    stack: 'dcm4che 3 (dcm4chee-arc, its tools)',
    calledAe: ['RJ 1/1/7'],
    callingAe: ['RJ 1/1/3'],
    protocolVersion: 'RJ 1/2/2',
    applicationContext: 'RJ 1/1/2',
    source: 'dcm4che/dcm4che dcm4che-net/src/main/java/org/dcm4che3/net/AssociationHandler.java:70-88',
  },
  {
    toolkit: 'CTN',
    stack: 'simple_storage -t TITLE',
    calledAe: ['RJ 1/1/7'],
    callingAe: [],
    protocolVersion: 'RJ 1/2/2',
    // the context check's answer is overwritten by the called-AE check after it
    applicationContext: 'first',
    source:
      'dcornewell/ctn facilities/dulprotocol/dulprotocol.c:1105-1108, dulparse.c:155-158; ' +
      'apps/simple_storage/simple_storage.c:2256-2277',
  },
  {
    toolkit: 'pynetdicom',
    stack: 'AE with require_called_aet / require_calling_aet',
    calledAe: ['RJ 1/1/7'],
    callingAe: ['RJ 1/1/3'],
    protocolVersion: 'RJ 1/2/2',
    applicationContext: 'first',
    source:
      'pydicom/pynetdicom pynetdicom/fsm.py:331-339 (AE-6); pynetdicom/acse.py:325-338 ' +
      '(the application context is never compared)',
  },
  {
    toolkit: 'DICOM-rs',
    stack: 'ServerAssociationOptions with AcceptCalledAeTitle',
    calledAe: ['RJ 1/1/7'],
    callingAe: [],
    protocolVersion: 'RJ 1/1/1',
    applicationContext: 'RJ 1/1/2',
    source: 'Enet4/dicom-rs ul/src/association/server.rs:810-818 (version: no reason given), 821-829, 98-111, 907-921',
  },
  {
    toolkit: 'Conquest',
    stack: 'dgate with LocalAEList / RemoteAEList',
    calledAe: ['RJ 1/1/7'],
    callingAe: ['RJ 1/1/3'],
    protocolVersion: 'first',
    applicationContext: 'first',
    source:
      'marcelvanherk/Conquest-DICOM-Server src/dgate/dicomlib/pdu.cxx:390-413; pdu.hpp:58, 114 ' +
      '(application context accepted by default); aarq.cxx:991 (protocol version read, never checked)',
  },
  {
    toolkit: 'PixelMed',
    stack: 'AssociationAcceptor',
    calledAe: ['RJ 1/1/7'],
    callingAe: [],
    protocolVersion: 'first',
    applicationContext: 'first',
    source:
      'fedorov/pixelmed com/pixelmed/network/AssociationAcceptor.java:131-134; ' +
      'AssociateRequestAcceptPDU.java:883, 895-899 (version and context read, never checked); ' +
      'observed on PixelMed 20220618 (Debian libpixelmed-java)',
  },
  {
    toolkit: 'fo-dicom',
    stack: 'DicomService subclasses (the library checks nothing itself)',
    calledAe: ['RJ 1/1/7', 'RJ 1/1/1'],
    callingAe: ['RJ 1/1/3'],
    protocolVersion: 'first',
    applicationContext: 'first',
    source:
      'fo-dicom/fo-dicom FO-DICOM.Core/Network/PDU.cs:710, 725-729 (version and context not checked); ' +
      'Platform/FO-DICOM.AspNetCore/Server/GeneralPurposeDicomService.cs:60 (1/1/1); ' +
      'Tests/FO-DICOM.Tests/Network/Client/DicomClientTest.cs:1506 (1/1/7)',
  },
  {
    toolkit: 'Odil',
    stack: 'an AssociationAcceptor that throws AssociationRejected',
    calledAe: ['RJ 1/1/7', 'RJ 1/1/1'],
    callingAe: ['RJ 1/1/3'],
    protocolVersion: 'first',
    applicationContext: 'first',
    source:
      'lamyj/odil src/odil/dul/StateMachine.cpp:486-503, 573-583 (only the acceptor decides); ' +
      'src/odil/pdu/AAssociate.cpp:113-123; observed: Odil 0.12 accepts both requests when its acceptor does',
  },
  {
    toolkit: 'dcmjs-dimse',
    stack: 'Scp.associationRequested that rejects',
    calledAe: ['RJ 1/1/7', 'RJ 1/1/1'],
    callingAe: ['RJ 1/1/3'],
    protocolVersion: 'first',
    applicationContext: 'first',
    source:
      'PantelisGeorgiadis/dcmjs-dimse src/Network.js:140-146, src/Pdu.js:885-889 (defaults: permanent, service user, no reason given); ' +
      'observed: dcmjs-dimse 0.3 accepts both requests when its SCP does, refuses all three with its 1/1/7',
  },
];

/**
 * The profiles one row gives, one for each answer its first refusal can have: our first request
 * has both titles wrong, and a stack configured to check either refuses it with that check's answer.
 */
export function profilesOf(row: RejectionRow): RejectionProfile[] {
  const firsts = [...new Set([...row.calledAe, ...row.callingAe])];
  const as = (a: Answer, first: Rj): string => (a === 'first' ? first : a);
  return firsts.map((first) => ({
    calledAe: first,
    protocolVersion: as(row.protocolVersion, first),
    applicationContext: as(row.applicationContext, first),
  }));
}

const key = (p: RejectionProfile): string => `${p.calledAe}|${p.protocolVersion}|${p.applicationContext}`;

/** Every profile of the table and the toolkits whose sources give it. */
const GIVEN_BY: ReadonlyMap<string, ReadonlySet<string>> = (() => {
  const m = new Map<string, Set<string>>();
  for (const row of REJECTION_ROWS)
    for (const p of profilesOf(row)) m.set(key(p), (m.get(key(p)) ?? new Set()).add(row.toolkit));
  return m;
})();

export function toolkitFromRejections(p: RejectionProfile | null): string | null {
  if (p === null) return null;
  const toolkits = GIVEN_BY.get(key(p));
  return toolkits?.size === 1 ? ([...toolkits][0] as string) : null;
}

/**
 * Honeypot personas, scripted from the public honeypots' documented behaviour
 * (../shared/fingerprints.md §4): what their A-ASSOCIATE-AC says, which contexts they accept, and
 * what their C-FIND answers. They answer C-ECHO, C-FIND (the same canned studies for any query
 * unless `honestFindTest`) and A-RELEASE (through dicomPeer.ts serveScp); everything else is ignored.
 */
import { CommandField, NO_DATA_SET, Status } from '../../src/dicom/dimse.js';
import { DICOM_APPLICATION_CONTEXT, encodeAssociateAc } from '../../src/dicom/pdu.js';
import { OPENDOOR_IMPLEMENTATION_CLASS_UID } from '../../src/dicom/uids.js';
import { serveScp } from './dicomPeer.js';

const IMPLICIT = '1.2.840.10008.1.2';

export interface Persona {
  implementationClassUid: string | null;
  implementationVersionName: string | null;
  maxPduLength: number;
  /** Accept abstract syntaxes outside the standard's root (dicompot accepts anything). */
  acceptsUnknown: boolean;
  /** Answer opendoor's query for a study that cannot exist with no match (pynetdicom's own matching). */
  honestFindTest: boolean;
  /** The studies every C-FIND answers. */
  studies: Array<{ uid: string; patientId: string; name: string }>;
}

/** dicompot (nsmfoo, in T-Pot): go-netdicom's AC without 0x52/0x55, 4 MiB PDUs, accepts everything. */
export const DICOMPOT: Persona = {
  implementationClassUid: null,
  implementationVersionName: null,
  maxPduLength: 4194304,
  acceptsUnknown: true,
  honestFindTest: false,
  studies: [1, 2, 3].map((i) => ({
    uid: `1.2.826.0.1.3680043.8.498.${1000 + i}`,
    patientId: `${i}`,
    name: `RADIANT^${i}`,
  })),
};

/** DICOMHawk's default config: version name ORTHANC on pynetdicom's UID and PDU length, TCIA studies. */
export const DICOMHAWK: Persona = {
  implementationClassUid: '1.2.826.0.1.3680043.9.3811.2.0.1',
  implementationVersionName: 'ORTHANC',
  maxPduLength: 16382,
  acceptsUnknown: false,
  honestFindTest: true,
  studies: [1, 2, 3, 4].map((i) => ({
    uid: `1.3.6.1.4.1.14519.5.2.1.7009.${2400 + i}`,
    patientId: `LIDC-${i}`,
    name: `HANSEN^${i}`,
  })),
};

/** qeeqbox/honeypots QDicomServer: plain pynetdicom, every query answered with the bundled CT (PatientID 1CT1). */
export const QEEQBOX: Persona = {
  implementationClassUid: '1.2.826.0.1.3680043.9.3811.2.0.2',
  implementationVersionName: 'PYNETDICOM_202',
  maxPduLength: 16382,
  acceptsUnknown: false,
  honestFindTest: false,
  studies: [{ uid: '1.3.6.1.4.1.5962.1.2.1.20040119072730.12322', patientId: '1CT1', name: 'CompressedSamples^CT1' }],
};

/**
 * A honeypot with no tell of its own: stock DCMTK's identity and PDU length (as Orthanc sends),
 * nothing for the study that cannot exist, made-up SOP classes refused, studies that look like a
 * hospital's. Only running many of it gives it away (a fleet, fingerprint/cluster.ts).
 */
export const QUIET_DCMTK: Persona = {
  implementationClassUid: '1.2.276.0.7230010.3.0.3.6.7',
  implementationVersionName: 'OFFIS_DCMTK_367',
  maxPduLength: 16384,
  acceptsUnknown: false,
  honestFindTest: true,
  studies: [1, 2, 3].map((i) => ({
    uid: `1.2.840.113619.2.55.3.2831164355.${700 + i}.1719914371.${400 + i}`,
    patientId: `MRN${48210 + i}`,
    name: `NIELSEN^KAREN${i}`,
  })),
};

function element(group: number, elem: number, value: string): Buffer {
  const v = Buffer.from(value.length % 2 === 0 ? value : `${value} `, 'latin1');
  const h = Buffer.alloc(8);
  h.writeUInt16LE(group, 0);
  h.writeUInt16LE(elem, 2);
  h.writeUInt32LE(v.length, 4);
  return Buffer.concat([h, v]);
}

function answer(s: Persona['studies'][number]): Buffer {
  return Buffer.concat([
    element(0x0008, 0x0020, '20240101'),
    element(0x0008, 0x0052, 'STUDY'),
    element(0x0010, 0x0010, s.name),
    element(0x0010, 0x0020, s.patientId),
    element(0x0020, 0x000d, s.uid),
    element(0x0020, 0x1206, '1'),
    element(0x0020, 0x1208, '1'),
  ]);
}

/** Presentation context items of an A-ASSOCIATE-RQ: id and abstract syntax. */
function proposed(rq: Buffer): Array<{ id: number; abstractSyntax: string }> {
  const out: Array<{ id: number; abstractSyntax: string }> = [];
  for (let off = 74; off + 4 <= rq.length; ) {
    const type = rq[off] as number;
    const len = rq.readUInt16BE(off + 2);
    if (type === 0x20) {
      const body = rq.subarray(off + 4, off + 4 + len);
      const asLen = body.readUInt16BE(6);
      out.push({
        id: body[0] as number,
        abstractSyntax: body
          .subarray(8, 8 + asLen)
          .toString('latin1')
          .replace(/\0+$/, ''),
      });
    }
    off += 4 + len;
  }
  return out;
}

export function startPersona(host: string, port: number, p: Persona): Promise<{ stop(): Promise<void> }> {
  return serveScp(host, port, {
    associate: (rq) =>
      encodeAssociateAc({
        protocolVersion: 1,
        calledAe: 'ANY',
        callingAe: 'OPENDOOR',
        applicationContext: DICOM_APPLICATION_CONTEXT,
        presentationContexts: proposed(rq).map((c) => ({
          id: c.id,
          result: p.acceptsUnknown || c.abstractSyntax.startsWith('1.2.840.10008.') ? 0 : 3,
          transferSyntax: IMPLICIT,
        })),
        maxPduLength: p.maxPduLength,
        implementationClassUid: p.implementationClassUid,
        implementationVersionName: p.implementationVersionName,
      }),
    message: (command, data, reply) => {
      if (command.commandField !== CommandField.CFindRq || data === null) return;
      const id = command.messageId;
      const isTest = data.includes(Buffer.from(OPENDOOR_IMPLEMENTATION_CLASS_UID));
      if (!(isTest && p.honestFindTest)) {
        for (const s of p.studies)
          reply(
            {
              commandField: CommandField.CFindRsp,
              messageIdBeingRespondedTo: id,
              status: Status.Pending,
              commandDataSetType: 0,
            },
            answer(s),
          );
      }
      reply({
        commandField: CommandField.CFindRsp,
        messageIdBeingRespondedTo: id,
        status: Status.Success,
        commandDataSetType: NO_DATA_SET,
      });
    },
  });
}

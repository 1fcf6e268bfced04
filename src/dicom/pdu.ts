/**
 * DICOM upper layer PDUs (PS3.8 section 9.3): pure encode/decode, no sockets.
 * Every decoder takes one complete PDU (6-byte header + body, as delivered by the framer)
 * and either returns a value or throws DicomCodecError: never anything else.
 */
import { DicomCodecError, Reader } from './reader.js';

export const PduType = {
  AssociateRq: 0x01,
  AssociateAc: 0x02,
  AssociateRj: 0x03,
  PDataTf: 0x04,
  ReleaseRq: 0x05,
  ReleaseRp: 0x06,
  Abort: 0x07,
} as const;

/** Item types of the variable part of A-ASSOCIATE-RQ/AC (PS3.8 9.3.2, 9.3.3, annex D). */
export const ItemType = {
  ApplicationContext: 0x10,
  PresentationContextRq: 0x20,
  PresentationContextAc: 0x21,
  AbstractSyntax: 0x30,
  TransferSyntax: 0x40,
  UserInformation: 0x50,
  MaximumLength: 0x51,
  ImplementationClassUid: 0x52,
  AsynchronousOperations: 0x53,
  RoleSelection: 0x54,
  ImplementationVersionName: 0x55,
} as const;

export const DICOM_APPLICATION_CONTEXT = '1.2.840.10008.3.1.1.1';

export interface PresentationContextRq {
  id: number;
  abstractSyntax: string;
  transferSyntaxes: string[];
}

export interface RoleSelection {
  sopClassUid: string;
  scu: boolean;
  scp: boolean;
}

export interface AssociateRq {
  calledAe: string;
  callingAe: string;
  presentationContexts: PresentationContextRq[];
  maxPduLength: number;
  implementationClassUid: string;
  implementationVersionName: string | null;
  roleSelections: RoleSelection[];
  /** Protocol version bits (PS3.8 9.3.2; 1, the default): another value asks how a server refuses it. */
  protocolVersion?: number;
  /** Application context name (the DICOM one by default). */
  applicationContext?: string;
}

/** Result/reason of a presentation context in A-ASSOCIATE-AC (PS3.8 table 9-18). */
export type PresentationContextResult = 0 | 1 | 2 | 3 | 4;

export interface PresentationContextAc {
  id: number;
  result: number;
  transferSyntax: string | null;
}

export interface AssociateAc {
  type: 'associate-ac';
  protocolVersion: number;
  calledAe: string;
  callingAe: string;
  applicationContext: string | null;
  presentationContexts: PresentationContextAc[];
  maxPduLength: number | null;
  implementationClassUid: string | null;
  implementationVersionName: string | null;
}

export interface AssociateRj {
  type: 'associate-rj';
  result: number;
  source: number;
  reason: number;
}

export interface Pdv {
  contextId: number;
  isCommand: boolean;
  isLast: boolean;
  data: Buffer;
}

export interface PDataTf {
  type: 'p-data-tf';
  pdvs: Pdv[];
}

export interface ReleaseRq {
  type: 'release-rq';
}
export interface ReleaseRp {
  type: 'release-rp';
}
export interface Abort {
  type: 'abort';
  source: number;
  reason: number;
}

/** A PDU received from a peer. (An A-ASSOCIATE-RQ is never expected: we only act as requestor.) */
export type IncomingPdu = AssociateAc | AssociateRj | PDataTf | ReleaseRq | ReleaseRp | Abort;

// ---------------------------------------------------------------- encoding

function pdu(type: number, body: Buffer): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(body.length, 2);
  return Buffer.concat([header, body]);
}

function item(type: number, value: Buffer): Buffer {
  if (value.length > 0xffff) throw new DicomCodecError('invalid-parameter', `item 0x${type.toString(16)} too long`);
  const header = Buffer.alloc(4);
  header.writeUInt8(type, 0);
  header.writeUInt16BE(value.length, 2);
  return Buffer.concat([header, value]);
}

/** UIDs in items are not padded (PS3.8 9.3.2.2: "shall not be padded"), ASCII only. */
function uidBytes(uid: string): Buffer {
  if (!/^[0-9.]{1,64}$/.test(uid)) throw new DicomCodecError('invalid-parameter', `not a UID: ${JSON.stringify(uid)}`);
  return Buffer.from(uid, 'ascii');
}

/** AE titles: up to 16 characters of the default repertoire, space padded (PS3.5 AE VR). */
export function aeBytes(ae: string): Buffer {
  if (ae.length === 0 || ae.length > 16 || !/^[\x20-\x7e]+$/.test(ae) || ae.includes('\\')) {
    throw new DicomCodecError('invalid-parameter', `not a valid AE title: ${JSON.stringify(ae)}`);
  }
  return Buffer.from(ae.padEnd(16, ' '), 'ascii');
}

function associateHeader(calledAe: string, callingAe: string, protocolVersion = 0x0001): Buffer {
  const fixed = Buffer.alloc(68);
  fixed.writeUInt16BE(protocolVersion, 0);
  aeBytes(calledAe).copy(fixed, 4);
  aeBytes(callingAe).copy(fixed, 20);
  return fixed;
}

/** The user information item (PS3.8 D.1, D.3.3.2-4): what is null is left out. */
function userInformation(
  maxPduLength: number | null,
  implementationClassUid: string | null,
  implementationVersionName: string | null,
  roles: readonly RoleSelection[] = [],
): Buffer {
  const user: Buffer[] = [];
  if (maxPduLength !== null) {
    const maxLen = Buffer.alloc(4);
    maxLen.writeUInt32BE(maxPduLength, 0);
    user.push(item(ItemType.MaximumLength, maxLen));
  }
  if (implementationClassUid !== null)
    user.push(item(ItemType.ImplementationClassUid, uidBytes(implementationClassUid)));
  for (const role of roles) {
    const uid = uidBytes(role.sopClassUid);
    const value = Buffer.alloc(2 + uid.length + 2);
    value.writeUInt16BE(uid.length, 0);
    uid.copy(value, 2);
    value.writeUInt8(role.scu ? 1 : 0, 2 + uid.length);
    value.writeUInt8(role.scp ? 1 : 0, 3 + uid.length);
    user.push(item(ItemType.RoleSelection, value));
  }
  if (implementationVersionName !== null)
    user.push(item(ItemType.ImplementationVersionName, Buffer.from(implementationVersionName.slice(0, 16), 'ascii')));
  return item(ItemType.UserInformation, Buffer.concat(user));
}

export function encodeAssociateRq(rq: AssociateRq): Buffer {
  const items: Buffer[] = [
    item(ItemType.ApplicationContext, uidBytes(rq.applicationContext ?? DICOM_APPLICATION_CONTEXT)),
  ];
  for (const pc of rq.presentationContexts) {
    if (pc.id < 1 || pc.id > 255 || pc.id % 2 === 0)
      throw new DicomCodecError('invalid-parameter', `presentation context id must be odd 1..255`);
    const sub = [item(ItemType.AbstractSyntax, uidBytes(pc.abstractSyntax))];
    for (const ts of pc.transferSyntaxes) sub.push(item(ItemType.TransferSyntax, uidBytes(ts)));
    items.push(item(ItemType.PresentationContextRq, Buffer.concat([Buffer.from([pc.id, 0, 0, 0]), ...sub])));
  }
  items.push(
    userInformation(rq.maxPduLength, rq.implementationClassUid, rq.implementationVersionName, rq.roleSelections),
  );
  return pdu(
    PduType.AssociateRq,
    Buffer.concat([associateHeader(rq.calledAe, rq.callingAe, rq.protocolVersion), ...items]),
  );
}

/**
 * An A-ASSOCIATE-AC (PS3.8 9.3.3), as an acceptor sends it: for test peers and server personas.
 * Null fields (application context, maximum length, implementation UID or version) are left out.
 */
export function encodeAssociateAc(ac: Omit<AssociateAc, 'type'>): Buffer {
  const items: Buffer[] = [];
  if (ac.applicationContext !== null) items.push(item(ItemType.ApplicationContext, uidBytes(ac.applicationContext)));
  for (const pc of ac.presentationContexts) {
    const sub = pc.transferSyntax !== null ? [item(ItemType.TransferSyntax, uidBytes(pc.transferSyntax))] : [];
    items.push(item(ItemType.PresentationContextAc, Buffer.concat([Buffer.from([pc.id, 0, pc.result, 0]), ...sub])));
  }
  items.push(userInformation(ac.maxPduLength, ac.implementationClassUid, ac.implementationVersionName));
  return pdu(
    PduType.AssociateAc,
    Buffer.concat([associateHeader(ac.calledAe, ac.callingAe, ac.protocolVersion), ...items]),
  );
}

export function encodePDataTf(pdvs: Pdv[]): Buffer {
  const parts = pdvs.map((p) => {
    const header = Buffer.alloc(6);
    header.writeUInt32BE(p.data.length + 2, 0);
    header.writeUInt8(p.contextId, 4);
    header.writeUInt8((p.isCommand ? 0x01 : 0) | (p.isLast ? 0x02 : 0), 5);
    return Buffer.concat([header, p.data]);
  });
  return pdu(PduType.PDataTf, Buffer.concat(parts));
}

export function encodeReleaseRq(): Buffer {
  return pdu(PduType.ReleaseRq, Buffer.alloc(4));
}

export function encodeReleaseRp(): Buffer {
  return pdu(PduType.ReleaseRp, Buffer.alloc(4));
}

/** A-ABORT, source 0 = service user (us), reason 0 (PS3.8 9.3.8). */
export function encodeAbort(): Buffer {
  return pdu(PduType.Abort, Buffer.alloc(4));
}

// ---------------------------------------------------------------- decoding

function readUid(r: Reader, length: number): string {
  return r.ascii(length).replace(/[\0 ]+$/, '');
}

function decodeUserInformation(r: Reader, out: AssociateAc): void {
  while (r.remaining > 0) {
    const type = r.u8();
    r.skip(1);
    const length = r.u16();
    const sub = r.sub(length);
    switch (type) {
      case ItemType.MaximumLength:
        out.maxPduLength = length >= 4 ? sub.u32() : null;
        break;
      case ItemType.ImplementationClassUid:
        out.implementationClassUid = readUid(sub, length);
        break;
      case ItemType.ImplementationVersionName:
        out.implementationVersionName = readUid(sub, length) || null;
        break;
      default:
        break; // asynchronous operations, role selection, extended negotiation: not needed
    }
  }
}

function decodeAssociateAc(r: Reader): AssociateAc {
  const out: AssociateAc = {
    type: 'associate-ac',
    protocolVersion: r.u16(),
    calledAe: '',
    callingAe: '',
    applicationContext: null,
    presentationContexts: [],
    maxPduLength: null,
    implementationClassUid: null,
    implementationVersionName: null,
  };
  r.skip(2);
  out.calledAe = r.ascii(16).trim();
  out.callingAe = r.ascii(16).trim();
  r.skip(32);
  while (r.remaining > 0) {
    const type = r.u8();
    r.skip(1);
    const length = r.u16();
    const sub = r.sub(length);
    if (type === ItemType.ApplicationContext) {
      out.applicationContext = readUid(sub, length);
    } else if (type === ItemType.PresentationContextAc) {
      const id = sub.u8();
      sub.skip(1);
      const result = sub.u8();
      sub.skip(1);
      let transferSyntax: string | null = null;
      while (sub.remaining > 0) {
        const subType = sub.u8();
        sub.skip(1);
        const subLength = sub.u16();
        const value = sub.sub(subLength);
        if (subType === ItemType.TransferSyntax) transferSyntax = readUid(value, subLength);
      }
      out.presentationContexts.push({ id, result, transferSyntax });
    } else if (type === ItemType.UserInformation) {
      decodeUserInformation(sub, out);
    }
  }
  return out;
}

function decodePDataTf(r: Reader): PDataTf {
  const pdvs: Pdv[] = [];
  while (r.remaining > 0) {
    const length = r.u32();
    if (length < 2) throw new DicomCodecError('invalid-parameter', 'PDV item shorter than its header', r.offset);
    const sub = r.sub(length);
    const contextId = sub.u8();
    const control = sub.u8();
    pdvs.push({ contextId, isCommand: (control & 1) === 1, isLast: (control & 2) === 2, data: sub.rest() });
  }
  return { type: 'p-data-tf', pdvs };
}

/** Decode one complete PDU (header included). Throws only DicomCodecError. */
export function decodePdu(bytes: Buffer): IncomingPdu {
  const head = new Reader(bytes);
  const type = head.u8();
  head.skip(1);
  const length = head.u32();
  if (length !== head.remaining)
    throw new DicomCodecError('invalid-parameter', `PDU length ${length} does not match ${head.remaining} bytes`);
  const r = head.sub(length);
  switch (type) {
    case PduType.AssociateAc:
      return decodeAssociateAc(r);
    case PduType.AssociateRj: {
      r.skip(1);
      return { type: 'associate-rj', result: r.u8(), source: r.u8(), reason: r.u8() };
    }
    case PduType.PDataTf:
      return decodePDataTf(r);
    case PduType.ReleaseRq:
      return { type: 'release-rq' };
    case PduType.ReleaseRp:
      return { type: 'release-rp' };
    case PduType.Abort: {
      r.skip(2);
      return { type: 'abort', source: r.u8(), reason: r.u8() };
    }
    default: {
      // an A-ASSOCIATE-RQ is a PDU, but never one for the requestor; anything else is none at all
      const kind = type === PduType.AssociateRq ? 'unexpected-pdu' : 'unrecognized-pdu';
      throw new DicomCodecError(kind, `unexpected PDU type 0x${type.toString(16).padStart(2, '0')}`, 0);
    }
  }
}

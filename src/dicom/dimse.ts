/**
 * DIMSE command sets (PS3.7 section 9.3 and annex E): group 0000, always Implicit VR Little Endian.
 * Only the command elements opendoor uses are named; anything else is skipped.
 */
import { DicomCodecError, Reader } from './reader.js';

export const CommandField = {
  CStoreRq: 0x0001,
  CStoreRsp: 0x8001,
  CGetRq: 0x0010,
  CGetRsp: 0x8010,
  CFindRq: 0x0020,
  CFindRsp: 0x8020,
  CMoveRq: 0x0021,
  CMoveRsp: 0x8021,
  CEchoRq: 0x0030,
  CEchoRsp: 0x8030,
  CCancelRq: 0x0fff,
} as const;

/** CommandDataSetType (0000,0800): 0x0101 means "no data set follows". */
export const NO_DATA_SET = 0x0101;

export const Status = {
  Success: 0x0000,
  Cancel: 0xfe00,
  Pending: 0xff00,
  PendingWarning: 0xff01,
} as const;

export interface CommandSet {
  affectedSopClassUid?: string;
  requestedSopClassUid?: string;
  commandField: number;
  messageId?: number;
  messageIdBeingRespondedTo?: number;
  moveDestination?: string;
  priority?: number;
  commandDataSetType: number;
  status?: number;
  affectedSopInstanceUid?: string;
  remaining?: number;
  completed?: number;
  failed?: number;
  warning?: number;
}

type Kind = 'UI' | 'US' | 'AE';
const ELEMENTS: ReadonlyArray<[number, keyof CommandSet, Kind]> = [
  [0x0002, 'affectedSopClassUid', 'UI'],
  [0x0003, 'requestedSopClassUid', 'UI'],
  [0x0100, 'commandField', 'US'],
  [0x0110, 'messageId', 'US'],
  [0x0120, 'messageIdBeingRespondedTo', 'US'],
  [0x0600, 'moveDestination', 'AE'],
  [0x0700, 'priority', 'US'],
  [0x0800, 'commandDataSetType', 'US'],
  [0x0900, 'status', 'US'],
  [0x1000, 'affectedSopInstanceUid', 'UI'],
  [0x1020, 'remaining', 'US'],
  [0x1021, 'completed', 'US'],
  [0x1022, 'failed', 'US'],
  [0x1023, 'warning', 'US'],
];
const BY_ELEMENT = new Map(ELEMENTS.map(([el, key, kind]) => [el, { key, kind }]));

function element(el: number, value: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16LE(0x0000, 0);
  head.writeUInt16LE(el, 2);
  head.writeUInt32LE(value.length, 4);
  return Buffer.concat([head, value]);
}

function padded(text: string, pad: string): Buffer {
  return Buffer.from(text.length % 2 === 1 ? text + pad : text, 'ascii');
}

export function encodeCommand(cmd: CommandSet): Buffer {
  const parts: Buffer[] = [];
  for (const [el, key, kind] of ELEMENTS) {
    const v = cmd[key];
    if (v === undefined) continue;
    if (kind === 'US') {
      const b = Buffer.alloc(2);
      b.writeUInt16LE(Number(v), 0);
      parts.push(element(el, b));
    } else {
      parts.push(element(el, padded(String(v), kind === 'UI' ? '\0' : ' ')));
    }
  }
  const body = Buffer.concat(parts);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(body.length, 0);
  return Buffer.concat([element(0x0000, groupLength), body]);
}

/** Decode a command set; throws DicomCodecError on truncation or a missing CommandField. */
export function decodeCommand(bytes: Buffer): CommandSet {
  const r = new Reader(bytes, 0, true);
  const out: Record<string, string | number> = {};
  while (r.remaining > 0) {
    const group = r.u16();
    const el = r.u16();
    const length = r.u32();
    const value = r.bytes(length);
    if (group !== 0x0000)
      throw new DicomCodecError('malformed', `command set holds group 0x${group.toString(16)}`, r.offset);
    const known = BY_ELEMENT.get(el);
    if (known === undefined) continue;
    if (known.kind === 'US') {
      if (length < 2)
        throw new DicomCodecError('malformed', `US element (0000,${el.toString(16)}) too short`, r.offset);
      out[known.key] = value.readUInt16LE(0);
    } else {
      out[known.key] = value
        .toString('latin1')
        .replace(/[\0 ]+$/, '')
        .trim();
    }
  }
  const commandField = out['commandField'];
  if (typeof commandField !== 'number') throw new DicomCodecError('malformed', 'command set without CommandField');
  const dataSetType = out['commandDataSetType'];
  return {
    ...(out as Partial<CommandSet>),
    commandField,
    commandDataSetType: typeof dataSetType === 'number' ? dataSetType : NO_DATA_SET,
  };
}

export function isPending(status: number | undefined): boolean {
  return status === Status.Pending || status === Status.PendingWarning;
}

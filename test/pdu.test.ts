/** The PDU codec on annotated bytes captured from real servers (Orthanc 1.10.1 / DCMTK 3.6.7). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCommand, encodeCommand, CommandField, NO_DATA_SET } from '../src/dicom/dimse.js';
import { PduFramer } from '../src/dicom/framer.js';
import {
  decodePdu,
  encodeAssociateAc,
  encodeAssociateRq,
  encodePDataTf,
  encodeReleaseRq,
  encodeAbort,
} from '../src/dicom/pdu.js';
import { PassThrough } from 'node:stream';
import { PduChannel } from '../src/dicom/channel.js';
import { type CodecErrorKind, DicomCodecError } from '../src/dicom/reader.js';
import { ORTHANC_AC, ORTHANC_RJ, hex } from './fixtures/pdus.js';

test('decodes a real A-ASSOCIATE-AC: identity, max length, accepted context', () => {
  const ac = decodePdu(ORTHANC_AC);
  assert.equal(ac.type, 'associate-ac');
  if (ac.type !== 'associate-ac') return;
  assert.equal(ac.calledAe, 'ORTHANC');
  assert.equal(ac.callingAe, 'OPENDOOR');
  assert.equal(ac.applicationContext, '1.2.840.10008.3.1.1.1');
  assert.deepEqual(ac.presentationContexts, [{ id: 1, result: 0, transferSyntax: '1.2.840.10008.1.2' }]);
  assert.equal(ac.maxPduLength, 16384);
  assert.equal(ac.implementationClassUid, '1.2.276.0.7230010.3.0.3.6.7');
  assert.equal(ac.implementationVersionName, 'OFFIS_DCMTK_367');
});

test('decodes a real A-ASSOCIATE-RJ', () => {
  assert.deepEqual(decodePdu(ORTHANC_RJ), { type: 'associate-rj', result: 1, source: 1, reason: 7 });
});

test('an AC without a version name item reports null, never a made-up name', () => {
  // drop the 0x55 sub-item (4 + 15 bytes) and fix the PDU and user-information lengths
  const cut = Buffer.from(ORTHANC_AC.subarray(0, ORTHANC_AC.length - 19));
  cut.writeUInt32BE(cut.length - 6, 2);
  const userInfo = ORTHANC_AC.length - (4 + 0x3a); // user information item header offset
  cut.writeUInt16BE(0x3a - 19, userInfo + 2);
  const ac = decodePdu(cut);
  assert.equal(ac.type === 'associate-ac' ? ac.implementationVersionName : 'x', null);
});

test('A-ASSOCIATE-RQ encodes the fixed fields at their PS3.8 offsets', () => {
  const rq = encodeAssociateRq({
    calledAe: 'ANY-SCP',
    callingAe: 'OPENDOOR',
    presentationContexts: [{ id: 1, abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: ['1.2.840.10008.1.2'] }],
    maxPduLength: 65536,
    implementationClassUid: '2.25.1',
    implementationVersionName: 'OPENDOOR_0_1',
    roleSelections: [],
  });
  assert.equal(rq[0], 0x01);
  assert.equal(rq.readUInt32BE(2), rq.length - 6);
  assert.equal(rq.readUInt16BE(6), 1);
  assert.equal(rq.subarray(10, 26).toString('latin1'), 'ANY-SCP         ');
  assert.equal(rq.subarray(26, 42).toString('latin1'), 'OPENDOOR        ');
  assert.equal(rq[74], 0x10); // application context item follows the 32 reserved bytes
  assert.ok(rq.includes(Buffer.from('OPENDOOR_0_1')));
});

test('rejects invalid AE titles and even context ids before anything is sent', () => {
  const base = {
    callingAe: 'A',
    presentationContexts: [],
    maxPduLength: 1,
    implementationClassUid: '2.25.1',
    implementationVersionName: null,
    roleSelections: [],
  };
  assert.throws(() => encodeAssociateRq({ ...base, calledAe: 'THIS-TITLE-IS-TOO-LONG' }), DicomCodecError);
  assert.throws(() => encodeAssociateRq({ ...base, calledAe: 'A\\B' }), DicomCodecError);
  assert.throws(
    () =>
      encodeAssociateRq({
        ...base,
        calledAe: 'OK',
        presentationContexts: [{ id: 2, abstractSyntax: '1.2', transferSyntaxes: [] }],
      }),
    DicomCodecError,
  );
});

test('P-DATA-TF round trip: message control header bits', () => {
  const pdu = encodePDataTf([{ contextId: 3, isCommand: true, isLast: true, data: Buffer.from([1, 2]) }]);
  assert.deepEqual([...pdu.subarray(6, 12)], [0, 0, 0, 4, 3, 0x03]); // item length 4, context 3, command+last
  const back = decodePdu(pdu);
  assert.deepEqual(back, {
    type: 'p-data-tf',
    pdvs: [{ contextId: 3, isCommand: true, isLast: true, data: Buffer.from([1, 2]) }],
  });
});

test('release and abort PDUs', () => {
  assert.deepEqual([...encodeReleaseRq()], [5, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
  assert.deepEqual([...encodeAbort()], [7, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
  assert.deepEqual(decodePdu(hex('07 00 00000004 0000 02 06')), { type: 'abort', source: 2, reason: 6 });
});

test('C-ECHO-RQ command set round trip (implicit VR little endian, group length first)', () => {
  const bytes = encodeCommand({
    commandField: CommandField.CEchoRq,
    affectedSopClassUid: '1.2.840.10008.1.1',
    messageId: 7,
    commandDataSetType: NO_DATA_SET,
  });
  assert.deepEqual([...bytes.subarray(0, 8)], [0, 0, 0, 0, 4, 0, 0, 0]); // (0000,0000) UL length 4
  assert.equal(bytes.readUInt32LE(8), bytes.length - 12);
  const cmd = decodeCommand(bytes);
  assert.equal(cmd.commandField, 0x0030);
  assert.equal(cmd.affectedSopClassUid, '1.2.840.10008.1.1');
  assert.equal(cmd.messageId, 7);
  assert.equal(cmd.commandDataSetType, NO_DATA_SET);
});

test('framer: a declared 4 GiB PDU is refused from its header alone', () => {
  const f = new PduFramer({ maxPduLength: 65536, maxTotalBytes: 1 << 20 });
  assert.throws(() => f.push(hex('04 00 ffffffff')), /declares 4294967295 bytes/);
  assert.equal(f.bytesBuffered, 6);
});

test('framer: PDUs split at every byte boundary come out whole', () => {
  const f = new PduFramer({ maxPduLength: 65536, maxTotalBytes: 1 << 20 });
  const stream = Buffer.concat([ORTHANC_RJ, ORTHANC_AC]);
  const out: Buffer[] = [];
  for (const b of stream) out.push(...f.push(Buffer.from([b])));
  assert.deepEqual(out, [ORTHANC_RJ, ORTHANC_AC]);
});

test('framer: the byte cap holds across many small PDUs', () => {
  const f = new PduFramer({ maxPduLength: 65536, maxTotalBytes: 100 });
  assert.throws(() => {
    for (let i = 0; i < 20; i++) f.push(ORTHANC_RJ);
  }, /more than 100 bytes/);
});

test('framer: HTTP is not a PDU', () => {
  const f = new PduFramer({ maxPduLength: 65536, maxTotalBytes: 1 << 20 });
  assert.throws(() => f.push(Buffer.from('HTTP/1.1 400 Bad Request\r\n')), /not a DICOM PDU/);
});

test('A-ASSOCIATE-AC encodes to the bytes a real server sent (Orthanc 1.10.1), and back', () => {
  const ac = decodePdu(ORTHANC_AC);
  assert.equal(ac.type, 'associate-ac');
  if (ac.type !== 'associate-ac') return;
  const { type: _type, ...fields } = ac;
  assert.equal(encodeAssociateAc(fields).toString('hex'), ORTHANC_AC.toString('hex'));
  // a persona without an implementation class UID (a honeypot tell) is encoded without the item
  const bare = decodePdu(
    encodeAssociateAc({ ...fields, implementationClassUid: null, implementationVersionName: null }),
  );
  assert.equal(bare.type === 'associate-ac' ? bare.implementationClassUid : 'x', null);
});

/** The kind a codec error carries (callers decide on it, never on the message). */
function kindOf(fn: () => unknown): CodecErrorKind | 'none' {
  try {
    fn();
    return 'none';
  } catch (e) {
    assert.ok(e instanceof DicomCodecError, String(e));
    return e.kind;
  }
}

test('every codec error carries its kind, named after PS3.8 table 9-26 where it names one', () => {
  const framer = () => new PduFramer({ maxPduLength: 1024, maxTotalBytes: 64 });
  const cases: Array<[string, () => unknown, CodecErrorKind]> = [
    ['A-ASSOCIATE-RJ cut short', () => decodePdu(hex('03 00 00000002 00 01')), 'truncated'],
    ['a declared length over the cap', () => framer().push(hex('04 00 00000401')), 'oversize'],
    ['more bytes than the association may carry', () => framer().push(Buffer.alloc(65, 7)), 'oversize'],
    ['HTTP where a PDU should be', () => framer().push(Buffer.from('HTTP/1.1 400')), 'unrecognized-pdu'],
    ['type 0x09 decoded', () => decodePdu(hex('09 00 00000000')), 'unrecognized-pdu'],
    ['A-ASSOCIATE-RQ sent to the requestor', () => decodePdu(hex('01 00 00000000')), 'unexpected-pdu'],
    ['a PDU length that disagrees', () => decodePdu(hex('07 00 00000005 0000 02 06')), 'invalid-parameter'],
    ['a PDV item shorter than its header', () => decodePdu(hex('04 00 00000004 00000001')), 'invalid-parameter'],
    ['a command set without CommandField', () => decodeCommand(Buffer.alloc(0)), 'malformed'],
  ];
  for (const [what, fn, kind] of cases) assert.equal(kindOf(fn), kind, what);
});

/** A channel fed `bytes` by its peer: the upper-layer kind it fails with. */
async function channelKind(bytes: Buffer[]): Promise<string> {
  const socket = new PassThrough();
  const ch = new PduChannel(socket, { idleTimeoutMs: 2000, deadlineMs: 4000, maxPduLength: 1024, maxTotalBytes: 4096 });
  for (const b of bytes) socket.write(b);
  try {
    for (;;) await ch.receive();
  } catch (e) {
    return e instanceof Error && 'kind' in e ? String(e.kind) : 'foreign';
  } finally {
    ch.destroy();
  }
}

test('the channel maps codec kinds to upper-layer kinds: not DICOM at first, a protocol error later, our cap', async () => {
  assert.equal(await channelKind([Buffer.from('SSH-2.0-OpenSSH\r\n')]), 'not-dicom');
  assert.equal(await channelKind([ORTHANC_AC, Buffer.from('SSH-2.0-OpenSSH\r\n')]), 'protocol');
  assert.equal(await channelKind([hex('01 00 00000000')]), 'protocol');
  assert.equal(await channelKind([hex('04 00 00100000')]), 'cap-exceeded');
});

/** Property tests: decoding arbitrary bytes never throws anything but DicomCodecError. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeCommand } from '../src/dicom/dimse.js';
import { PduFramer } from '../src/dicom/framer.js';
import { decodePdu } from '../src/dicom/pdu.js';
import { type CodecErrorKind, isDicomCodecError } from '../src/dicom/reader.js';

const KINDS: ReadonlySet<CodecErrorKind> = new Set<CodecErrorKind>([
  'truncated',
  'oversize',
  'unrecognized-pdu',
  'unexpected-pdu',
  'invalid-parameter',
  'malformed',
]);

/** Returns or throws a DicomCodecError of a known kind (callers switch on it). */
function onlyCodecErrors(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    return isDicomCodecError(e) && KINDS.has(e.kind);
  }
}

const pduLike = fc.tuple(fc.integer({ min: 1, max: 7 }), fc.uint8Array({ maxLength: 512 })).map(([type, body]) => {
  const b = Buffer.alloc(6 + body.length);
  b[0] = type;
  b.writeUInt32BE(body.length, 2);
  Buffer.from(body).copy(b, 6);
  return b;
});

test('decodePdu: arbitrary bytes and well-framed random bodies', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 1024 }), (bytes) => onlyCodecErrors(() => decodePdu(Buffer.from(bytes)))),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(pduLike, (bytes) => onlyCodecErrors(() => decodePdu(bytes))),
    { numRuns: 3000 },
  );
});

test('decodeCommand: arbitrary bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => onlyCodecErrors(() => decodeCommand(Buffer.from(bytes)))),
    { numRuns: 3000 },
  );
});

test('framer: any chunking never buffers past its caps and never throws a foreign error', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 40 }), (chunks) => {
      const f = new PduFramer({ maxPduLength: 1024, maxTotalBytes: 4096 });
      for (const c of chunks) {
        let ok = true;
        try {
          for (const pdu of f.push(Buffer.from(c))) assert.ok(pdu.length <= 1024 + 6 || pdu[0] !== 4);
        } catch (e) {
          if (!isDicomCodecError(e)) throw e;
          ok = false;
        }
        assert.ok(f.bytesBuffered <= 4096 + 300);
        if (!ok) break;
      }
      return true;
    }),
    { numRuns: 2000 },
  );
});

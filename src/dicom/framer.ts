/**
 * Cuts a byte stream into PDUs (PS3.8 9.3.1: type, reserved, 32-bit length) without trusting
 * the peer: the declared length is checked against a hard cap before a single body byte is
 * buffered, and chunks are kept in a list and joined once, never re-concatenated per chunk.
 */
import { DicomCodecError } from './reader.js';

export interface FramerLimits {
  /** Largest PDU body accepted (our advertised maximum for P-DATA-TF, small for the rest). */
  maxPduLength: number;
  /** Bytes accepted over the life of the stream. */
  maxTotalBytes: number;
}

/** Control PDUs are tiny; an A-ASSOCIATE-AC with 128 contexts fits easily in 64 KiB. */
const MAX_CONTROL_PDU = 64 * 1024;

export class PduFramer {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private total = 0;
  private expected: number | null = null; // full PDU size (header included) once known

  constructor(private readonly limits: FramerLimits) {}

  get bytesBuffered(): number {
    return this.buffered;
  }

  /** Feed bytes; returns the complete PDUs now available. Throws DicomCodecError on a cap or bad header. */
  push(chunk: Buffer): Buffer[] {
    this.total += chunk.length;
    if (this.total > this.limits.maxTotalBytes) {
      throw new DicomCodecError(
        'oversize',
        `peer sent more than ${this.limits.maxTotalBytes} bytes on one association`,
      );
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: Buffer[] = [];
    for (;;) {
      if (this.expected === null) {
        if (this.buffered < 6) break;
        const head = this.peek(6);
        const type = head.readUInt8(0);
        if (type < 0x01 || type > 0x07)
          throw new DicomCodecError(
            'unrecognized-pdu',
            `not a DICOM PDU (first byte 0x${type.toString(16).padStart(2, '0')})`,
            0,
          );
        const length = head.readUInt32BE(2);
        const cap = type === 0x04 ? this.limits.maxPduLength : MAX_CONTROL_PDU;
        if (length > cap)
          throw new DicomCodecError('oversize', `PDU type 0x0${type} declares ${length} bytes, cap is ${cap}`, 2);
        this.expected = 6 + length;
      }
      if (this.buffered < this.expected) break;
      out.push(this.take(this.expected));
      this.expected = null;
    }
    return out;
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0];
    if (first !== undefined && first.length >= n) return first.subarray(0, n);
    const joined = Buffer.concat(this.chunks);
    this.chunks = [joined];
    return joined.subarray(0, n);
  }

  private take(n: number): Buffer {
    const joined = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    const pduBytes = joined.subarray(0, n);
    const rest = joined.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return pduBytes;
  }
}

/** Bounds-checked big/little endian reader over a Buffer; every overrun is a DicomCodecError. */

/**
 * What was wrong with the bytes (or, encoding, with our own values). Named after PS3.8's A-ABORT
 * reasons (table 9-26) where it names them; callers decide on the kind, never on the message.
 */
export type CodecErrorKind =
  | 'truncated' // fewer bytes than a length or a field needs
  | 'oversize' // a declared PDU length or the association's byte total above our cap
  | 'unrecognized-pdu' // PS3.8 "unrecognized-PDU": a first byte that is no PDU type (0x01..0x07)
  | 'unexpected-pdu' // PS3.8 "unexpected-PDU": a PDU type a requestor never receives (A-ASSOCIATE-RQ)
  | 'invalid-parameter' // PS3.8 "invalid-PDU-parameter value": a length that disagrees, a value out of range
  | 'malformed'; // a command set or data set that does not decode

export class DicomCodecError extends Error {
  override readonly name = 'DicomCodecError';
  constructor(
    readonly kind: CodecErrorKind,
    message: string,
    readonly offset: number | null = null,
  ) {
    super(message);
  }
}

export function isDicomCodecError(e: unknown): e is DicomCodecError {
  return e instanceof Error && e.name === 'DicomCodecError';
}

export class Reader {
  private pos = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly base = 0,
    private readonly littleEndian = false,
  ) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  /** Absolute offset in the outermost buffer, for error messages. */
  get offset(): number {
    return this.base + this.pos;
  }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.buf.length) {
      throw new DicomCodecError('truncated', `need ${n} bytes, ${this.remaining} left`, this.offset);
    }
  }

  u8(): number {
    this.need(1);
    return this.buf.readUInt8(this.pos++);
  }

  u16(): number {
    this.need(2);
    const v = this.littleEndian ? this.buf.readUInt16LE(this.pos) : this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.littleEndian ? this.buf.readUInt32LE(this.pos) : this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  bytes(n: number): Buffer {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  ascii(n: number): string {
    return this.bytes(n).toString('latin1');
  }

  /** A reader over the next n bytes; this reader moves past them. */
  sub(n: number): Reader {
    const start = this.offset;
    return new Reader(this.bytes(n), start, this.littleEndian);
  }

  rest(): Buffer {
    return this.bytes(this.remaining);
  }
}

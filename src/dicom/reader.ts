/** Bounds-checked big/little endian reader over a Buffer; every overrun is a DicomCodecError. */

export class DicomCodecError extends Error {
  override readonly name = 'DicomCodecError';
  constructor(
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
      throw new DicomCodecError(`truncated: need ${n} bytes, ${this.remaining} left`, this.offset);
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

/**
 * A PDU channel over one connected socket (TCP or TLS): frames and decodes what the peer sends,
 * with an idle timeout per receive, an overall deadline and a byte cap. Every exit path destroys
 * the socket, so a tarpit or a drip-feeding peer can never keep the process alive.
 */
import type { Duplex } from 'node:stream';
import { ackNow } from '../net/quickAck.js';
import { PduFramer } from './framer.js';
import { decodePdu, type IncomingPdu } from './pdu.js';
import { type DicomCodecError, isDicomCodecError } from './reader.js';

export interface ChannelLimits {
  /** Longest wait for the next PDU. */
  idleTimeoutMs: number;
  /** Longest life of the whole association. */
  deadlineMs: number;
  /** Largest P-DATA-TF PDU accepted (what we advertise as our maximum length). */
  maxPduLength: number;
  /** Bytes accepted from the peer over the association. */
  maxTotalBytes: number;
}

export type UpperLayerFailureKind =
  | 'idle-timeout' // nothing (or not a whole PDU) arrived in time
  | 'deadline' // the association outlived its overall budget
  | 'closed' // the peer closed the connection
  | 'reset' // the peer reset the connection
  | 'io-error' // another socket error (TLS alert, EPIPE…)
  | 'not-dicom' // bytes that are not a DICOM PDU
  | 'cap-exceeded' // a declared length or the byte total passed our cap
  | 'aborted' // the peer sent A-ABORT (its source and reason in the code, A-ABORT:source:reason)
  | 'protocol'; // a well-framed PDU we cannot accept here

export class UpperLayerError extends Error {
  override readonly name = 'UpperLayerError';
  constructor(
    readonly kind: UpperLayerFailureKind,
    message: string,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

export function isUpperLayerError(e: unknown): e is UpperLayerError {
  return e instanceof Error && e.name === 'UpperLayerError';
}

/** What a codec error on the stream means: our cap passed, a peer that is no DICOM at all (its first PDU unrecognized), else a protocol error. */
function ofCodec(e: DicomCodecError, firstPdu: boolean): UpperLayerFailureKind {
  if (e.kind === 'oversize') return 'cap-exceeded';
  if (e.kind === 'unrecognized-pdu' && firstPdu) return 'not-dicom';
  return 'protocol';
}

const FIRST_BYTES_KEPT = 64;
/** Backpressure: stop reading the socket while this many decoded PDUs wait for the consumer. */
const HIGH_WATER = 64;
const LOW_WATER = 16;

export class PduChannel {
  private readonly framer: PduFramer;
  private readonly queue: IncomingPdu[] = [];
  private waiter: { resolve: (p: IncomingPdu) => void; reject: (e: UpperLayerError) => void } | null = null;
  private failure: UpperLayerError | null = null;
  private readonly deadline: NodeJS.Timeout;
  private head: Buffer = Buffer.alloc(0);
  private pdusDecoded = 0;
  private paused = false;
  /** Bytes received from the peer so far. */
  bytesReceived = 0;

  constructor(
    private readonly socket: Duplex,
    private readonly limits: ChannelLimits,
  ) {
    this.framer = new PduFramer({ maxPduLength: limits.maxPduLength, maxTotalBytes: limits.maxTotalBytes });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.fail(new UpperLayerError('closed', 'peer closed the connection')));
    socket.on('close', () => this.fail(new UpperLayerError('closed', 'connection closed')));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const kind = err.code === 'ECONNRESET' ? 'reset' : 'io-error';
      this.fail(new UpperLayerError(kind, err.code ?? err.message, err.code ?? null));
    });
    this.deadline = setTimeout(
      () => this.fail(new UpperLayerError('deadline', `association exceeded ${limits.deadlineMs} ms`)),
      limits.deadlineMs,
    );
    this.deadline.unref();
  }

  /** The first bytes the peer sent (at most 64), to classify a peer that is not DICOM. Never logged. */
  get firstBytes(): Buffer {
    return this.head;
  }

  get failed(): UpperLayerError | null {
    return this.failure;
  }

  send(bytes: Buffer): void {
    if (this.failure !== null) throw this.failure;
    this.socket.write(bytes);
  }

  /** The next PDU, or a rejected UpperLayerError within the idle timeout. */
  receive(): Promise<IncomingPdu> {
    const next = this.queue.shift();
    if (this.paused && this.queue.length <= LOW_WATER && this.failure === null) {
      this.paused = false;
      this.socket.resume();
    }
    if (next !== undefined) return Promise.resolve(next);
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise<IncomingPdu>((resolve, reject) => {
      const timer = setTimeout(
        () => this.fail(new UpperLayerError('idle-timeout', `no PDU within ${this.limits.idleTimeoutMs} ms`)),
        this.limits.idleTimeoutMs,
      );
      this.waiter = {
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  /** Close without ceremony; idempotent. */
  destroy(): void {
    clearTimeout(this.deadline);
    if (this.failure === null) this.failure = new UpperLayerError('closed', 'closed locally');
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.failure !== null) return;
    this.bytesReceived += chunk.length;
    if (this.head.length < FIRST_BYTES_KEPT) {
      this.head = Buffer.concat([this.head, chunk.subarray(0, FIRST_BYTES_KEPT - this.head.length)]);
    }
    try {
      for (const raw of this.framer.push(chunk)) {
        this.queue.push(decodePdu(raw));
        this.pdusDecoded++;
      }
      // half a PDU in: ACK it now, or a server with Nagle on holds the rest for our delayed ACK
      if (this.framer.bytesBuffered > 0) ackNow(this.socket);
      // a peer that answers faster than we count is slowed down, never buffered without bound
      if (this.queue.length >= HIGH_WATER && !this.paused) {
        this.paused = true;
        this.socket.pause();
      }
    } catch (e) {
      const kind = isDicomCodecError(e) ? ofCodec(e, this.pdusDecoded === 0) : 'protocol';
      this.fail(new UpperLayerError(kind, e instanceof Error ? e.message : String(e)));
      return;
    }
    this.wake();
  }

  private wake(): void {
    if (this.waiter === null) return;
    const next = this.queue.shift();
    if (next === undefined) return;
    const w = this.waiter;
    this.waiter = null;
    w.resolve(next);
  }

  private fail(err: UpperLayerError): void {
    if (this.failure === null) this.failure = err;
    clearTimeout(this.deadline);
    this.socket.destroy();
    // a waiter always settles: with a PDU that arrived before the failure (delivered first, as
    // when an A-ASSOCIATE-AC and a malformed P-DATA-TF come in one chunk), else with the failure
    if (this.waiter !== null) {
      const w = this.waiter;
      this.waiter = null;
      const next = this.queue.shift();
      if (next !== undefined) w.resolve(next);
      else w.reject(this.failure);
    }
  }
}

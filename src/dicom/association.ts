/**
 * The association as requestor (PS3.8 section 7 and 9): A-ASSOCIATE, DIMSE exchange over P-DATA-TF,
 * A-RELEASE, A-ABORT. Built on PduChannel, which owns the socket, limits and timers.
 */
import { type PduChannel, UpperLayerError } from './channel.js';
import { CommandField, NO_DATA_SET, decodeCommand, encodeCommand, isPending, type CommandSet } from './dimse.js';
import {
  encodeAbort,
  encodeAssociateRq,
  encodePDataTf,
  encodeReleaseRp,
  encodeReleaseRq,
  type AssociateAc,
  type AssociateRj,
  type AssociateRq,
  type IncomingPdu,
} from './pdu.js';
import { DicomCodecError } from './reader.js';

export interface DimseMessage {
  contextId: number;
  command: CommandSet;
  /** The data set, or null when none followed or it was discarded (see datasetLength). */
  dataset: Buffer | null;
  datasetLength: number;
}

export interface AcceptedContext {
  id: number;
  abstractSyntax: string;
  transferSyntax: string;
}

/** Sends A-ASSOCIATE-RQ and returns the peer's answer; an A-ABORT or anything else is an UpperLayerError. */
export async function requestAssociation(channel: PduChannel, rq: AssociateRq): Promise<AssociateAc | AssociateRj> {
  channel.send(encodeAssociateRq(rq));
  const answer = await channel.receive();
  if (answer.type === 'associate-ac' || answer.type === 'associate-rj') return answer;
  if (answer.type === 'abort') throw abortError(answer.source, answer.reason);
  throw new UpperLayerError('protocol', `expected A-ASSOCIATE-AC/RJ, got ${answer.type}`);
}

function abortError(source: number, reason: number): UpperLayerError {
  return new UpperLayerError(
    'aborted',
    `peer sent A-ABORT (source ${source}, reason ${reason})`,
    `A-ABORT:${source}:${reason}`,
  );
}

export interface MessageLimits {
  /** Largest command set or kept data set, in bytes. */
  maxMessageBytes: number;
}

export class Association {
  private nextMessageId = 1;
  private released = false;

  constructor(
    readonly channel: PduChannel,
    readonly rq: AssociateRq,
    readonly ac: AssociateAc,
    private readonly limits: MessageLimits = { maxMessageBytes: 4 * 1024 * 1024 },
  ) {}

  /** Accepted presentation contexts, joined with the abstract syntax we proposed for each id. */
  get acceptedContexts(): AcceptedContext[] {
    const out: AcceptedContext[] = [];
    for (const pc of this.ac.presentationContexts) {
      const proposed = this.rq.presentationContexts.find((p) => p.id === pc.id);
      if (pc.result === 0 && proposed !== undefined && pc.transferSyntax !== null) {
        out.push({ id: pc.id, abstractSyntax: proposed.abstractSyntax, transferSyntax: pc.transferSyntax });
      }
    }
    return out;
  }

  contextFor(abstractSyntax: string): AcceptedContext | null {
    return this.acceptedContexts.find((c) => c.abstractSyntax === abstractSyntax) ?? null;
  }

  newMessageId(): number {
    const id = this.nextMessageId;
    this.nextMessageId = (this.nextMessageId % 0xffff) + 1;
    return id;
  }

  /** Send one DIMSE message (command, then data set if any), split to the peer's max PDU length. */
  send(contextId: number, command: CommandSet, dataset: Buffer | null = null): void {
    const cmd = encodeCommand({ ...command, commandDataSetType: dataset === null ? NO_DATA_SET : 0x0000 });
    this.sendFragments(contextId, true, cmd);
    if (dataset !== null) this.sendFragments(contextId, false, dataset);
  }

  private sendFragments(contextId: number, isCommand: boolean, data: Buffer): void {
    const peerMax = this.ac.maxPduLength !== null && this.ac.maxPduLength > 0 ? this.ac.maxPduLength : 16384;
    const chunk = Math.max(16, Math.min(peerMax, 65536) - 6);
    for (let off = 0; off === 0 || off < data.length; off += chunk) {
      const part = data.subarray(off, off + chunk);
      const isLast = off + chunk >= data.length;
      this.channel.send(encodePDataTf([{ contextId, isCommand, isLast, data: part }]));
    }
  }

  /**
   * Receive the next whole DIMSE message. With discardDataSet the data set bytes are only counted
   * (used to prove a retrieval without keeping an image).
   */
  async receive(discardDataSet = false): Promise<DimseMessage> {
    const cmdParts: Buffer[] = [];
    const dataParts: Buffer[] = [];
    let cmdBytes = 0;
    let dataBytes = 0;
    let command: CommandSet | null = null;
    let contextId = 0;
    for (;;) {
      const pdu = await this.channel.receive();
      this.rejectControl(pdu);
      if (pdu.type !== 'p-data-tf') continue;
      for (const pdv of pdu.pdvs) {
        contextId = pdv.contextId;
        if (pdv.isCommand) {
          if (command !== null) throw new UpperLayerError('protocol', 'command fragment after a complete command');
          cmdBytes += pdv.data.length;
          if (cmdBytes > this.limits.maxMessageBytes)
            throw new UpperLayerError('cap-exceeded', 'command set too large');
          cmdParts.push(pdv.data);
          if (pdv.isLast) {
            command = this.decode(Buffer.concat(cmdParts));
            if (command.commandDataSetType === NO_DATA_SET)
              return { contextId, command, dataset: null, datasetLength: 0 };
          }
        } else {
          if (command === null) throw new UpperLayerError('protocol', 'data set fragment before its command');
          dataBytes += pdv.data.length;
          if (!discardDataSet) {
            if (dataBytes > this.limits.maxMessageBytes)
              throw new UpperLayerError('cap-exceeded', 'data set too large');
            dataParts.push(pdv.data);
          }
          if (pdv.isLast) {
            return {
              contextId,
              command,
              dataset: discardDataSet ? null : Buffer.concat(dataParts),
              datasetLength: dataBytes,
            };
          }
        }
      }
    }
  }

  private decode(bytes: Buffer): CommandSet {
    try {
      return decodeCommand(bytes);
    } catch (e) {
      if (e instanceof DicomCodecError) throw new UpperLayerError('protocol', `bad command set: ${e.message}`);
      throw e;
    }
  }

  private rejectControl(pdu: IncomingPdu): void {
    if (pdu.type === 'abort') {
      this.channel.destroy(); // the association is gone: nothing more may be sent or awaited
      throw abortError(pdu.source, pdu.reason);
    }
    if (pdu.type === 'release-rq') {
      this.channel.send(encodeReleaseRp());
      this.released = true;
      this.channel.destroy();
      throw new UpperLayerError('closed', 'peer released the association');
    }
    if (pdu.type !== 'p-data-tf') throw new UpperLayerError('protocol', `unexpected ${pdu.type} during DIMSE exchange`);
  }

  /** C-ECHO on the Verification context; returns the response status. */
  async echo(contextId: number, sopClassUid: string): Promise<number | null> {
    const messageId = this.newMessageId();
    this.send(contextId, {
      commandField: CommandField.CEchoRq,
      affectedSopClassUid: sopClassUid,
      messageId,
      commandDataSetType: NO_DATA_SET,
    });
    const rsp = await this.receive();
    if (rsp.command.commandField !== CommandField.CEchoRsp) {
      throw new UpperLayerError('protocol', `expected C-ECHO-RSP, got 0x${rsp.command.commandField.toString(16)}`);
    }
    return rsp.command.status ?? null;
  }

  /**
   * C-FIND (PS3.4 C.4.1): yields each pending response's identifier; returns the final status.
   * Breaking out of the loop early sends C-CANCEL-RQ and drains to the final response.
   */
  async *find(contextId: number, sopClassUid: string, identifier: Buffer): AsyncGenerator<Buffer, number, void> {
    const messageId = this.newMessageId();
    this.send(
      contextId,
      {
        commandField: CommandField.CFindRq,
        affectedSopClassUid: sopClassUid,
        messageId,
        priority: 0,
        commandDataSetType: 0,
      },
      identifier,
    );
    let done = false;
    try {
      for (;;) {
        const rsp = await this.receive();
        if (rsp.command.commandField !== CommandField.CFindRsp) {
          throw new UpperLayerError('protocol', `expected C-FIND-RSP, got 0x${rsp.command.commandField.toString(16)}`);
        }
        const status = rsp.command.status ?? -1;
        if (!isPending(status)) {
          done = true;
          return status;
        }
        if (rsp.dataset !== null) yield rsp.dataset;
      }
    } finally {
      if (!done && this.channel.failed === null) await this.cancel(contextId, messageId, CommandField.CFindRsp);
    }
  }

  /** C-CANCEL-RQ, then read responses until the final one for that message (bounded by the idle timeout). */
  private async cancel(contextId: number, messageId: number, responseField: number): Promise<void> {
    this.send(contextId, {
      commandField: CommandField.CCancelRq,
      messageIdBeingRespondedTo: messageId,
      commandDataSetType: NO_DATA_SET,
    });
    for (;;) {
      const rsp = await this.receive(true);
      if (rsp.command.commandField === responseField && !isPending(rsp.command.status)) return;
    }
  }

  /** Orderly A-RELEASE; waits briefly for A-RELEASE-RP, then closes whatever happened. */
  async release(): Promise<void> {
    try {
      if (!this.released && this.channel.failed === null) {
        this.released = true;
        this.channel.send(encodeReleaseRq());
        for (let i = 0; i < 8; i++) {
          const pdu = await this.channel.receive();
          if (pdu.type === 'release-rp' || pdu.type === 'abort') break;
        }
      }
    } catch {
      // a peer that closes instead of answering A-RELEASE-RQ is common and harmless
    } finally {
      this.channel.destroy();
    }
  }

  /** A-ABORT and close: used on every error path. */
  abort(): void {
    try {
      if (this.channel.failed === null) this.channel.send(encodeAbort());
    } catch {
      // the socket may already be gone
    } finally {
      this.channel.destroy();
    }
  }
}

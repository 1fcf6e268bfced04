/**
 * Scripted DICOM peers that speak just enough of the upper layer (serveScp: framing, A-RELEASE,
 * C-ECHO, one callback per DIMSE message), and the hostile archive built on it: it accepts every
 * association, answers opendoor's C-FIND permission test, then answers the real count with an
 * endless stream of pending responses and ignores C-CANCEL.
 */
import net from 'node:net';
import {
  type CommandSet,
  CommandField,
  decodeCommand,
  encodeCommand,
  NO_DATA_SET,
  Status,
} from '../../src/dicom/dimse.js';
import { PduFramer } from '../../src/dicom/framer.js';
import { DICOM_APPLICATION_CONTEXT, decodePdu, encodeAssociateAc, encodePDataTf } from '../../src/dicom/pdu.js';
import { OPENDOOR_IMPLEMENTATION_CLASS_UID } from '../../src/dicom/uids.js';

const IMPLICIT = '1.2.840.10008.1.2';

/** A-ASSOCIATE-AC accepting presentation contexts 1, 3, … 31 with Implicit VR Little Endian. */
export function acceptAll(): Buffer {
  const presentationContexts = Array.from({ length: 16 }, (_, i) => ({
    id: 2 * i + 1,
    result: 0,
    transferSyntax: IMPLICIT,
  }));
  return encodeAssociateAc({
    protocolVersion: 1,
    calledAe: 'HOSTILE',
    callingAe: 'OPENDOOR',
    applicationContext: DICOM_APPLICATION_CONTEXT,
    presentationContexts,
    maxPduLength: 16384,
    implementationClassUid: '1.2.3.4',
    implementationVersionName: 'HOSTILE_PEER',
  });
}

export type Reply = (command: Parameters<typeof encodeCommand>[0], data?: Buffer) => void;

export interface ScpScript {
  /** The answer to an A-ASSOCIATE-RQ (its bytes). */
  associate(rq: Buffer): Buffer;
  /** One DIMSE message other than C-ECHO (answered by the peer itself): its command and data set, if any. */
  message(command: CommandSet, data: Buffer | null, reply: Reply, socket: net.Socket): void;
}

/** A loopback DICOM peer driven by a script; stop() closes every connection. */
export async function serveScp(host: string, port: number, script: ScpScript): Promise<{ stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    const framer = new PduFramer({ maxPduLength: 1 << 20, maxTotalBytes: 1 << 30 });
    let command: CommandSet | null = null;
    const reply: Reply = (cmd, data) => {
      const pdvs = [{ contextId: 1, isCommand: true, isLast: true, data: encodeCommand(cmd) }];
      if (data !== undefined) pdvs.push({ contextId: 1, isCommand: false, isLast: true, data });
      socket.write(encodePDataTf(pdvs));
    };
    socket.on('data', (chunk: Buffer) => {
      let pdus: Buffer[];
      try {
        pdus = framer.push(chunk);
      } catch {
        return void socket.destroy();
      }
      for (const raw of pdus) {
        if (raw[0] === 0x01) {
          socket.write(script.associate(raw));
          continue;
        }
        if (raw[0] === 0x05) {
          socket.end(Buffer.from([6, 0, 0, 0, 0, 4, 0, 0, 0, 0]));
          continue;
        }
        const pdu = decodePdu(raw);
        if (pdu.type !== 'p-data-tf') continue;
        for (const pdv of pdu.pdvs) {
          if (!pdv.isCommand) {
            if (command !== null) script.message(command, pdv.data, reply, socket);
            continue;
          }
          command = decodeCommand(pdv.data);
          if (command.commandField === CommandField.CEchoRq) {
            reply({
              commandField: CommandField.CEchoRsp,
              messageIdBeingRespondedTo: command.messageId,
              status: Status.Success,
              commandDataSetType: NO_DATA_SET,
            });
          } else if (command.commandDataSetType === NO_DATA_SET) {
            script.message(command, null, reply, socket);
          }
        }
      }
    });
  });
  await new Promise<void>((resolve) => srv.listen(port, host, () => resolve()));
  return {
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => srv.close(() => r()));
    },
  };
}

/** An implicit VR LE identifier with one StudyInstanceUID: enough for a pending response. */
function studyAnswer(n: number): Buffer {
  const uid = Buffer.from(`2.25.99.${n}${n % 2 === 0 ? '' : '0'}`);
  const el = Buffer.alloc(8);
  el.writeUInt16LE(0x0020, 0);
  el.writeUInt16LE(0x000d, 2);
  el.writeUInt32LE(uid.length, 4);
  return Buffer.concat([el, uid]);
}

/** Pending C-FIND responses without end, as fast as the socket drains. */
function stream(socket: net.Socket, messageId: number): void {
  let n = 0;
  const pump = () => {
    while (!socket.destroyed && n < 1e9) {
      const command = encodeCommand({
        commandField: CommandField.CFindRsp,
        messageIdBeingRespondedTo: messageId,
        status: Status.Pending,
        commandDataSetType: 0,
      });
      const ok = socket.write(
        encodePDataTf([
          { contextId: 1, isCommand: true, isLast: true, data: command },
          { contextId: 1, isCommand: false, isLast: true, data: studyAnswer(n++) },
        ]),
      );
      if (!ok) return void socket.once('drain', pump);
    }
  };
  pump();
}

export async function startEndlessFindPeer(
  host: string,
  port: number,
): Promise<{ stop(): Promise<void>; cancels: number }> {
  const state = { cancels: 0, stop: async (): Promise<void> => undefined };
  let streaming = false;
  const peer = await serveScp(host, port, {
    associate: () => acceptAll(),
    message: (command, data, reply, socket) => {
      if (command.commandField === CommandField.CCancelRq) state.cancels++; // and ignored
      if (command.commandField !== CommandField.CFindRq || data === null || streaming) return;
      // opendoor's permission test asks for a UID under its own root: answer it honestly
      if (data.includes(Buffer.from(OPENDOOR_IMPLEMENTATION_CLASS_UID))) {
        reply({
          commandField: CommandField.CFindRsp,
          messageIdBeingRespondedTo: command.messageId,
          status: Status.Success,
          commandDataSetType: NO_DATA_SET,
        });
      } else {
        streaming = true;
        stream(socket, command.messageId ?? 1);
      }
    },
  });
  state.stop = peer.stop;
  return state;
}

/** What a scripted acceptor reads of an A-ASSOCIATE-RQ (PS3.8 9.3.2). */
export interface RqFacts {
  protocolVersion: number;
  calledAe: string;
  callingAe: string;
  applicationContext: string;
}

export function rqFacts(rq: Buffer): RqFacts {
  let applicationContext = '';
  for (let at = 74; at + 4 <= rq.length; ) {
    const length = rq.readUInt16BE(at + 2);
    if (rq[at] === 0x10) applicationContext = rq.toString('latin1', at + 4, at + 4 + length).replace(/\0+$/, '');
    at += 4 + length;
  }
  return {
    protocolVersion: rq.readUInt16BE(6),
    calledAe: rq.toString('latin1', 10, 26).trim(),
    callingAe: rq.toString('latin1', 26, 42).trim(),
    applicationContext,
  };
}

/** An A-ASSOCIATE-RJ PDU. */
export function associateRj(result: number, source: number, reason: number): Buffer {
  return Buffer.from([0x03, 0, 0, 0, 0, 4, 0, result, source, reason]);
}

/** A peer that refuses every association as `refuse` says (or accepts where it returns null), then closes. */
export async function startRefusingPeer(
  host: string,
  port: number,
  refuse: (rq: RqFacts) => Buffer | null,
): Promise<{ stop(): Promise<void> }> {
  return serveScp(host, port, {
    associate: (rq) => refuse(rqFacts(rq)) ?? acceptAll(),
    message: () => undefined,
  });
}

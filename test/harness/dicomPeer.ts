/**
 * A scripted DICOM peer that speaks just enough of the upper layer to lead the counter somewhere
 * hostile: it accepts every association, answers C-ECHO and opendoor's C-FIND permission test,
 * then answers the real count with an endless stream of pending responses and ignores C-CANCEL.
 */
import net from 'node:net';
import { CommandField, decodeCommand, encodeCommand, NO_DATA_SET, Status } from '../../src/dicom/dimse.js';
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

/** An implicit VR LE identifier with one StudyInstanceUID: enough for a pending response. */
function studyAnswer(n: number): Buffer {
  const uid = Buffer.from(`2.25.99.${n}${n % 2 === 0 ? '' : '0'}`);
  const el = Buffer.alloc(8);
  el.writeUInt16LE(0x0020, 0);
  el.writeUInt16LE(0x000d, 2);
  el.writeUInt32LE(uid.length, 4);
  return Buffer.concat([el, uid]);
}

export async function startEndlessFindPeer(
  host: string,
  port: number,
): Promise<{ stop(): Promise<void>; cancels: number }> {
  const sockets = new Set<net.Socket>();
  const state = { cancels: 0, stop: async (): Promise<void> => undefined };
  const srv = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    const framer = new PduFramer({ maxPduLength: 1 << 20, maxTotalBytes: 1 << 30 });
    let command: ReturnType<typeof decodeCommand> | null = null;
    let streaming = false;
    const send = (cmd: Parameters<typeof encodeCommand>[0], data?: Buffer) => {
      const pdvs = [{ contextId: 1, isCommand: true, isLast: true, data: encodeCommand(cmd) }];
      if (data !== undefined) pdvs.push({ contextId: 1, isCommand: false, isLast: true, data });
      socket.write(encodePDataTf(pdvs));
    };
    const stream = (messageId: number) => {
      streaming = true;
      let n = 0;
      const pump = () => {
        while (!socket.destroyed && n < 1e9) {
          const ok = socket.write(
            encodePDataTf([
              {
                contextId: 1,
                isCommand: true,
                isLast: true,
                data: encodeCommand({
                  commandField: CommandField.CFindRsp,
                  messageIdBeingRespondedTo: messageId,
                  status: Status.Pending,
                  commandDataSetType: 0,
                }),
              },
              { contextId: 1, isCommand: false, isLast: true, data: studyAnswer(n++) },
            ]),
          );
          if (!ok) return void socket.once('drain', pump);
        }
      };
      pump();
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
          socket.write(acceptAll());
          continue;
        }
        if (raw[0] === 0x05) {
          socket.end(Buffer.from([6, 0, 0, 0, 0, 4, 0, 0, 0, 0]));
          continue;
        }
        const pdu = decodePdu(raw);
        if (pdu.type !== 'p-data-tf') continue;
        for (const pdv of pdu.pdvs) {
          if (pdv.isCommand) {
            command = decodeCommand(pdv.data);
            if (command.commandField === CommandField.CEchoRq)
              send({
                commandField: CommandField.CEchoRsp,
                messageIdBeingRespondedTo: command.messageId,
                status: Status.Success,
                commandDataSetType: NO_DATA_SET,
              });
            if (command.commandField === CommandField.CCancelRq) state.cancels++; // and ignored
          } else if (command?.commandField === CommandField.CFindRq && !streaming) {
            // opendoor's permission test asks for a UID under its own root: answer it honestly
            if (pdv.data.includes(Buffer.from(OPENDOOR_IMPLEMENTATION_CLASS_UID))) {
              send({
                commandField: CommandField.CFindRsp,
                messageIdBeingRespondedTo: command.messageId,
                status: Status.Success,
                commandDataSetType: NO_DATA_SET,
              });
            } else {
              stream(command.messageId ?? 1);
            }
          }
        }
      }
    });
  });
  await new Promise<void>((resolve) => srv.listen(port, host, () => resolve()));
  state.stop = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => srv.close(() => r()));
  };
  return state;
}

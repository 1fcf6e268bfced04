/**
 * The one presentation-context builder of every association opendoor proposes: each abstract
 * syntax offered with explicit, then implicit VR little endian (PS3.5 §10.1: implicit is the default
 * every SCP accepts), context ids odd and increasing (PS3.8 §9.3.2.2).
 */
import type { PresentationContextRq } from '../../dicom/pdu.js';
import { TransferSyntax } from '../../dicom/uids.js';

export const OFFERED_TRANSFER_SYNTAXES: readonly string[] = [
  TransferSyntax.ExplicitVrLittleEndian,
  TransferSyntax.ImplicitVrLittleEndian,
];

/** Contexts for these abstract syntaxes, ids from `firstId` (odd) in steps of two. */
export function contextsFor(abstractSyntaxes: readonly string[], firstId = 1): PresentationContextRq[] {
  return abstractSyntaxes.map((abstractSyntax, i) => ({
    id: firstId + 2 * i,
    abstractSyntax,
    transferSyntaxes: [...OFFERED_TRANSFER_SYNTAXES],
  }));
}

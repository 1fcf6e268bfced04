/**
 * Identifiers and data sets via dcmjs (the data dictionary and VR codecs), behind a small typed
 * surface. Decoded values live only in memory for the caller to count; nothing here logs them.
 */
import { createRequire } from 'node:module';
import type dcmjsModule from 'dcmjs';
import { DicomCodecError } from './reader.js';
import { TransferSyntax } from './uids.js';

type Data = (typeof dcmjsModule)['data'];
let data: Data | null = null;

/**
 * Loads dcmjs (a large bundle) on first need: a scan that never counts never pays for it. Call and
 * await before encodeIdentifier/decodeDataset.
 */
export async function datasetCodec(): Promise<void> {
  if (data !== null) return;
  // required, not imported: import() of this CommonJS bundle first scans all of it for named
  // exports (measured: 174 ms against 69 ms)
  const m = createRequire(import.meta.url)('dcmjs') as typeof dcmjsModule;
  m.log.setLevel('silent');
  data = m.data;
}

function codec(): Data {
  if (data === null) throw new Error('datasetCodec() was not awaited');
  return data;
}

/** Keyword → value, as the C-FIND identifier to send ('' = return this attribute). */
export type Identifier = Record<string, string>;

function syntaxOf(transferSyntax: string): string {
  return transferSyntax === TransferSyntax.ImplicitVrLittleEndian
    ? TransferSyntax.ImplicitVrLittleEndian
    : TransferSyntax.ExplicitVrLittleEndian;
}

export function encodeIdentifier(identifier: Identifier, transferSyntax: string): Buffer {
  const { DicomMessage, DicomMetaDictionary, WriteBufferStream } = codec();
  const denatural = DicomMetaDictionary.denaturalizeDataset({ ...identifier }) as Record<string, unknown>;
  const stream = new WriteBufferStream();
  DicomMessage.write(denatural, stream, syntaxOf(transferSyntax), {});
  return Buffer.from(stream.getBuffer());
}

/** A decoded data set: keyword → first value as text ('' when empty or absent). */
export interface DatasetView {
  text(keyword: string): string;
  has(keyword: string): boolean;
}

/** A data element's first value as text: strings and numbers trimmed, person names (component groups) joined by '='. */
export function asText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string' || typeof v === 'number') return String(v).trim();
  if (typeof v === 'object') {
    // person names decode to { Alphabetic, Ideographic, Phonetic }
    return Object.values(v as Record<string, unknown>)
      .map(asText)
      .filter((s) => s !== '')
      .join('=');
  }
  return '';
}

/** Decode a data set; anything dcmjs cannot read becomes a DicomCodecError (no values in the message). */
export function decodeDataset(bytes: Buffer, transferSyntax: string): DatasetView {
  const { DicomMessage, DicomMetaDictionary, ReadBufferStream } = codec();
  let dict: Record<string, { Value?: unknown[] }>;
  try {
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
    dict = DicomMessage._read(new ReadBufferStream(ab), syntaxOf(transferSyntax), {
      ignoreErrors: true,
      untilTag: null,
      includeUntilTagValue: false,
      stopOnGreaterTag: false,
    }) as typeof dict;
  } catch {
    throw new DicomCodecError('malformed', 'undecodable data set');
  }
  const byKeyword = new Map<string, string>();
  for (const [tag, el] of Object.entries(dict)) {
    const entry = DicomMetaDictionary.dictionary[`(${tag.slice(0, 4)},${tag.slice(4)})`] as
      | { name?: string }
      | undefined;
    const name = entry?.name;
    if (name === undefined) continue;
    byKeyword.set(name, asText(el?.Value?.[0]));
  }
  return {
    text: (k) => byKeyword.get(k) ?? '',
    has: (k) => byKeyword.has(k),
  };
}

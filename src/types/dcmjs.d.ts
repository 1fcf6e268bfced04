/** The small part of dcmjs opendoor uses (dcmjs ships no type declarations). */
declare module 'dcmjs' {
  interface Stream {
    getBuffer(start?: number, end?: number): ArrayBuffer;
  }
  interface DcmjsData {
    DicomMessage: {
      write(dataset: Record<string, unknown>, stream: Stream, syntax: string, options: Record<string, unknown>): number;
      _read(stream: Stream, syntax: string, options: Record<string, unknown>): Record<string, unknown>;
    };
    DicomMetaDictionary: {
      denaturalizeDataset(dataset: Record<string, unknown>): Record<string, unknown>;
      dictionary: Record<string, { name?: string; vr?: string } | undefined>;
    };
    WriteBufferStream: new () => Stream;
    ReadBufferStream: new (buffer: ArrayBuffer) => Stream;
  }
  const dcmjs: { data: DcmjsData; log: { setLevel(level: string): void } };
  export default dcmjs;
}

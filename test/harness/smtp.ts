/**
 * A real SMTP server on loopback for the mail tests: Debian's python3-aiosmtpd running
 * smtp_sink.py, which writes each message it accepts into a folder. It can answer the first DATA
 * with 451 (a passing failure) or refuse some recipients with 550. Real SMTP over TCP.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { SOURCE_DIR, removeDir, run, startPinned, tempDir } from './procs.js';

export type SmtpMode = 'accept' | 'tempfail-once' | { refuse: string[] };

export interface Received {
  from: string;
  to: string[];
  /** Parsed by Python's email package: header names lower case. */
  headers: Record<string, string>;
  text: string | null;
  html: string | null;
  attachments: Array<{ filename: string; contentType: string; content: string }>;
  /** The message as it arrived (RFC 5322). */
  raw: string;
}

export interface SmtpSink {
  url: string;
  received(): Received[];
  /** Whether the server has answered a DATA with 451 (mode tempfail-once). */
  tempfailed(): boolean;
  stop(): Promise<void>;
}

export async function startSmtp(host: string, port: number, mode: SmtpMode = 'accept'): Promise<SmtpSink> {
  const dir = tempDir('smtp');
  const m = typeof mode === 'string' ? mode : `refuse:${mode.refuse.join(',')}`;
  const proc = await startPinned(
    '/usr/bin/python3',
    [path.join(SOURCE_DIR, 'smtp_sink.py'), host, String(port), dir, m],
    host,
    [port],
  );
  return {
    url: `smtp://${host}:${port}`,
    received: () =>
      readdirSync(dir)
        .filter((f) => f.endsWith('.eml'))
        .sort()
        .map((f) => {
          const env = JSON.parse(readFileSync(path.join(dir, f.replace(/\.eml$/, '.json')), 'utf8')) as Omit<
            Received,
            'raw'
          >;
          return { ...env, raw: readFileSync(path.join(dir, f), 'utf8') };
        }),
    tempfailed: () => existsSync(path.join(dir, 'tempfailed')),
    stop: async () => {
      await proc.stop();
      removeDir(dir);
    },
  };
}

/** An .eml file as Python's email package reads it (parts decoded): what a mail client would show. */
export function parseEml(file: string): Omit<Received, 'from' | 'to' | 'raw'> {
  return JSON.parse(run('/usr/bin/python3', [path.join(SOURCE_DIR, 'smtp_sink.py'), '--parse', file])) as Omit<
    Received,
    'from' | 'to' | 'raw'
  >;
}

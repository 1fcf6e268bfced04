/**
 * `-iL` input: a plain list (one target a line, `#` comments) or the output of nmap (-oX),
 * masscan (-oJ, -oL) or zmap (CSV), recognised by content. Open ports found by those tools are
 * kept so they can be probed directly. Every unparsable line is an error naming file and line.
 */
import { compactEntries } from './compact.js';
import type { InputEntry } from './entry.js';
import { parseTarget, TargetSyntaxError, type TargetSpec } from './spec.js';
import { InputError } from '../util/errors.js';

export class InputFileError extends InputError {
  override readonly name = 'InputFileError';
  constructor(
    readonly file: string,
    readonly line: number | null,
    reason: string,
  ) {
    super(`${file}${line !== null ? `:${line}` : ''}: ${reason}`);
  }
}

export type InputFormat = 'nmap-xml' | 'masscan-json' | 'masscan-list' | 'zmap-csv' | 'list';

export function detectFormat(text: string): InputFormat {
  const head = text.trimStart().slice(0, 4096);
  if (head.startsWith('<?xml') || head.includes('<nmaprun')) return 'nmap-xml';
  if (head.startsWith('[') || head.startsWith('{')) return 'masscan-json';
  if (/^#masscan/m.test(head) || /^open tcp \d+ /m.test(head)) return 'masscan-list';
  const first = head.split('\n').find((l) => l.trim() !== '' && !l.startsWith('#')) ?? '';
  if (/(^|,)saddr(,|$)/.test(first.trim())) return 'zmap-csv';
  return 'list';
}

function target(file: string, line: number, text: string): TargetSpec {
  try {
    return parseTarget(text);
  } catch (e) {
    if (e instanceof TargetSyntaxError) throw new InputFileError(file, line, e.message);
    throw e;
  }
}

function portNumber(file: string, line: number, text: string): number {
  const n = Number(text);
  if (!/^\d{1,5}$/.test(text) || n < 1 || n > 65535)
    throw new InputFileError(file, line, `"${text}" is not a port number`);
  return n;
}

/** A host element of nmap XML larger than this is not nmap's (and would grow without bound). */
const MAX_HOST_XML = 1 << 20;

/** One `<host>…</host>` element of nmap -oX: its address and open TCP ports (none when down). */
function nmapHost(file: string, line: number, hostXml: string): InputEntry[] {
  if (/<status state="down"/.test(hostXml)) return [];
  const addr = /<address addr="([^"]+)" addrtype="ipv[46]"/.exec(hostXml)?.[1];
  if (addr === undefined) throw new InputFileError(file, line, 'nmap host without an IP address');
  const ports = [...hostXml.matchAll(/<port protocol="tcp" portid="(\d+)">\s*<state state="open"/g)].map((p) =>
    portNumber(file, line, p[1] ?? ''),
  );
  const scanned = /<ports>/.test(hostXml);
  return scanned && ports.length === 0 ? [] : [{ spec: target(file, line, addr), ports: scanned ? ports : null }];
}

/**
 * Parses line formats one line at a time (so `-iL -` can be probed as it arrives): the format is
 * recognised from the first significant line; nmap XML is read a host element at a time (only the
 * element being read is held, at most 1 MiB).
 */
export class LineParser {
  private format: InputFormat | null = null;
  private zmapColumns: { ip: number; port: number } | null = null;
  /** The unfinished nmap host element, from its `<host` on, and the line it started on. */
  private xml = '';
  private xmlLine = 0;
  private lineNo = 0;

  constructor(private readonly file: string) {}

  /** Entries found on this line (none for comments, headers and closed/other-protocol lines). */
  push(raw: string): InputEntry[] {
    this.lineNo++;
    const line = raw.replace(/\r$/, '');
    if (this.format === null) {
      if (line.trim() === '') return [];
      this.format = detectFormat(line);
    }
    const n = this.lineNo;
    switch (this.format) {
      case 'nmap-xml':
        return this.nmapXml(line, n);
      case 'masscan-json':
        return this.masscanJson(line.trim().replace(/,$/, ''), n);
      case 'masscan-list':
        return this.masscanList(line.trim(), n);
      case 'zmap-csv':
        return this.zmap(line.trim(), n);
      default:
        return this.list(line, n);
    }
  }

  /** The end of input completes nothing: an nmap host element cut short (a killed nmap) is dropped. */
  end(): InputEntry[] {
    return [];
  }

  private nmapXml(line: string, n: number): InputEntry[] {
    if (this.xml === '') {
      const start = line.search(/<host[\s>]/);
      if (start < 0) return [];
      this.xml = line.slice(start);
      this.xmlLine = n;
    } else {
      this.xml += `\n${line}`;
    }
    const out: InputEntry[] = [];
    for (let close = this.xml.indexOf('</host>'); close >= 0; close = this.xml.indexOf('</host>')) {
      for (const e of nmapHost(this.file, this.xmlLine, this.xml.slice(0, close + 7))) out.push(e);
      const rest = this.xml.slice(close + 7);
      const next = rest.search(/<host[\s>]/);
      this.xml = next < 0 ? '' : rest.slice(next);
    }
    if (this.xml.length > MAX_HOST_XML)
      throw new InputFileError(this.file, this.xmlLine, 'nmap host element over 1 MiB');
    return out;
  }

  private masscanJson(line: string, n: number): InputEntry[] {
    if (line === '' || line === '[' || line === ']' || line.startsWith('{finished')) return [];
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      throw new InputFileError(this.file, n, 'not a masscan JSON record');
    }
    const r = rec as { ip?: unknown; ports?: Array<{ port?: unknown; status?: unknown; proto?: unknown }> };
    if (typeof r.ip !== 'string' || !Array.isArray(r.ports))
      throw new InputFileError(this.file, n, 'masscan record without "ip" and "ports"');
    const ports = r.ports
      .filter((p) => (p.status ?? 'open') === 'open' && (p.proto ?? 'tcp') === 'tcp')
      .map((p) => portNumber(this.file, n, String(p.port)));
    return ports.length > 0 ? [{ spec: target(this.file, n, r.ip), ports }] : [];
  }

  private masscanList(line: string, n: number): InputEntry[] {
    if (line === '' || line.startsWith('#')) return [];
    const m = /^open tcp (\d+) (\S+)( \d+)?$/.exec(line);
    if (m?.[1] === undefined || m[2] === undefined) {
      if (/^open (udp|sctp) /.test(line)) return [];
      throw new InputFileError(this.file, n, 'not a masscan -oL line');
    }
    return [{ spec: target(this.file, n, m[2]), ports: [portNumber(this.file, n, m[1])] }];
  }

  private zmap(line: string, n: number): InputEntry[] {
    if (line === '' || line.startsWith('#')) return [];
    if (this.zmapColumns === null) {
      const header = line.split(',');
      this.zmapColumns = { ip: header.indexOf('saddr'), port: header.indexOf('sport') };
      return [];
    }
    const cols = line.split(',');
    const ip = cols[this.zmapColumns.ip];
    if (ip === undefined || ip === '') throw new InputFileError(this.file, n, 'zmap row without saddr');
    const port = this.zmapColumns.port >= 0 ? cols[this.zmapColumns.port] : undefined;
    return [
      {
        spec: target(this.file, n, ip),
        ports: port !== undefined && port !== '' ? [portNumber(this.file, n, port)] : null,
      },
    ];
  }

  private list(raw: string, n: number): InputEntry[] {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return [];
    // a zmap run with a single output field writes bare addresses: that is this format too
    return line
      .split(/[\s,]+/)
      .filter((w) => w !== '')
      .map((w) => ({ spec: target(this.file, n, w), ports: null }));
  }
}

/** A whole target file, compacted (see compact.ts); lines are read in place, never split into an array. */
export function parseInputText(file: string, text: string): InputEntry[] {
  function* entries(): Generator<InputEntry> {
    const parser = new LineParser(file);
    for (let at = 0; at <= text.length; ) {
      const nl = text.indexOf('\n', at);
      const end = nl < 0 ? text.length : nl;
      yield* parser.push(text.slice(at, end));
      at = end + 1;
    }
    yield* parser.end();
  }
  return compactEntries(entries());
}

/**
 * `-iL` input: a plain list (one target a line, `#` comments) or the output of nmap (-oX),
 * masscan (-oJ, -oL) or zmap (CSV), recognised by content. Open ports found by those tools are
 * kept so they can be probed directly. Every unparsable line is an error naming file and line.
 */
import { parseTarget, TargetSyntaxError, type TargetSpec } from './spec.js';

export interface InputEntry {
  spec: TargetSpec;
  /** Open ports reported by the tool that produced the file, or null (use --ports). */
  ports: number[] | null;
}

export class InputFileError extends Error {
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
  if (!/^\d{1,5}$/.test(text) || n < 1 || n > 65535) throw new InputFileError(file, line, `"${text}" is not a port number`);
  return n;
}

/** Merge entries of one host so its ports are probed in one pass. */
function merged(entries: InputEntry[]): InputEntry[] {
  const byHost = new Map<string, InputEntry>();
  const out: InputEntry[] = [];
  for (const e of entries) {
    const key = e.spec.text;
    const seen = byHost.get(key);
    if (seen === undefined) {
      byHost.set(key, e);
      out.push(e);
    } else if (seen.ports !== null && e.ports !== null) {
      seen.ports = [...new Set([...seen.ports, ...e.ports])];
    } else {
      seen.ports = null;
    }
  }
  return out;
}

function lineOf(text: string, index: number): number {
  let n = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

function parseNmapXml(file: string, text: string): InputEntry[] {
  const out: InputEntry[] = [];
  for (const m of text.matchAll(/<host[\s>][\s\S]*?<\/host>/g)) {
    const hostXml = m[0];
    const line = lineOf(text, m.index ?? 0);
    if (/<status state="down"/.test(hostXml)) continue;
    const addr = /<address addr="([^"]+)" addrtype="ipv[46]"/.exec(hostXml)?.[1];
    if (addr === undefined) throw new InputFileError(file, line, 'nmap host without an IP address');
    const ports = [...hostXml.matchAll(/<port protocol="tcp" portid="(\d+)">\s*<state state="open"/g)].map((p) => portNumber(file, line, p[1] ?? ''));
    const scanned = /<ports>/.test(hostXml);
    out.push({ spec: target(file, line, addr), ports: scanned ? ports : null });
  }
  return out.filter((e) => e.ports === null || e.ports.length > 0);
}

function parseMasscanJson(file: string, text: string): InputEntry[] {
  const out: InputEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim().replace(/,$/, '');
    if (line === '' || line === '[' || line === ']' || line.startsWith('{finished')) return;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      throw new InputFileError(file, i + 1, 'not a masscan JSON record');
    }
    const r = rec as { ip?: unknown; ports?: Array<{ port?: unknown; status?: unknown; proto?: unknown }> };
    if (typeof r.ip !== 'string' || !Array.isArray(r.ports)) throw new InputFileError(file, i + 1, 'masscan record without "ip" and "ports"');
    const ports = r.ports.filter((p) => (p.status ?? 'open') === 'open' && (p.proto ?? 'tcp') === 'tcp').map((p) => portNumber(file, i + 1, String(p.port)));
    if (ports.length > 0) out.push({ spec: target(file, i + 1, r.ip), ports });
  });
  return out;
}

function parseMasscanList(file: string, text: string): InputEntry[] {
  const out: InputEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^open tcp (\d+) (\S+)( \d+)?$/.exec(line);
    if (m?.[1] === undefined || m[2] === undefined) {
      if (/^open (udp|sctp) /.test(line)) return;
      throw new InputFileError(file, i + 1, 'not a masscan -oL line');
    }
    out.push({ spec: target(file, i + 1, m[2]), ports: [portNumber(file, i + 1, m[1])] });
  });
  return out;
}

function parseZmapCsv(file: string, text: string): InputEntry[] {
  const lines = text.split('\n');
  const headerIndex = lines.findIndex((l) => l.trim() !== '' && !l.startsWith('#'));
  const header = (lines[headerIndex] ?? '').trim().split(',');
  const ipCol = header.indexOf('saddr');
  const portCol = header.indexOf('sport');
  const out: InputEntry[] = [];
  for (let i = headerIndex + 1; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const cols = line.split(',');
    const ip = cols[ipCol];
    if (ip === undefined || ip === '') throw new InputFileError(file, i + 1, 'zmap row without saddr');
    const ports = portCol >= 0 && cols[portCol] !== undefined && cols[portCol] !== '' ? [portNumber(file, i + 1, cols[portCol] as string)] : null;
    out.push({ spec: target(file, i + 1, ip), ports });
  }
  return out;
}

function parseList(file: string, text: string): InputEntry[] {
  const out: InputEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    // a zmap run with a single output field writes bare addresses: that is this format too
    for (const word of line.split(/[\s,]+/)) if (word !== '') out.push({ spec: target(file, i + 1, word), ports: null });
  });
  return out;
}

export function parseInputText(file: string, text: string): InputEntry[] {
  switch (detectFormat(text)) {
    case 'nmap-xml':
      return merged(parseNmapXml(file, text));
    case 'masscan-json':
      return merged(parseMasscanJson(file, text));
    case 'masscan-list':
      return merged(parseMasscanList(file, text));
    case 'zmap-csv':
      return merged(parseZmapCsv(file, text));
    default:
      return merged(parseList(file, text));
  }
}

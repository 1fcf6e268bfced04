/** Port lists: `104,4242`, `8000-8100`, and the default medical imaging set. */
import { InputError } from '../util/errors.js';

/** DICOM (104, 11112, 4242 Orthanc), DICOM TLS (2761 ISCL, 2762 TLS), web (80, 443, 8042 Orthanc, 8080). */
export const DEFAULT_PORTS: readonly number[] = [104, 11112, 4242, 2761, 2762, 8042, 80, 443, 8080];

export class PortSyntaxError extends InputError {
  override readonly name = 'PortSyntaxError';
}

function port(text: string, whole: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new PortSyntaxError(`"${whole}": "${text}" is not a port number`);
  const n = Number(text);
  if (n < 1 || n > 65535) throw new PortSyntaxError(`"${whole}": port ${n} is outside 1..65535`);
  return n;
}

export function parsePorts(list: string): number[] {
  const out = new Set<number>();
  for (const part of list.split(',')) {
    const p = part.trim();
    if (p === '') throw new PortSyntaxError(`"${list}": empty port in list`);
    const m = /^(\d+)-(\d+)$/.exec(p);
    if (m?.[1] !== undefined && m[2] !== undefined) {
      const a = port(m[1], list);
      const b = port(m[2], list);
      if (b < a) throw new PortSyntaxError(`"${list}": range ${p} ends before it starts`);
      for (let i = a; i <= b; i++) out.add(i);
    } else {
      out.add(port(p, list));
    }
  }
  return [...out];
}

/**
 * Acknowledge received bytes at once on a socket that waits for the rest of a message (see
 * native/quickack.c: DCMTK-based servers send a PDU's header and body as two segments, and the
 * body waits for our ACK). The addon is optional; without it this does nothing. The descriptor is
 * read from Node's TCP handle (`_handle.fd`, or the TCP socket under a TLS one).
 */
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';

type QuickAck = (fd: number) => boolean;

let addon: QuickAck | null | undefined;

function load(): QuickAck | null {
  if (addon !== undefined) return addon;
  try {
    const m = createRequire(import.meta.url)('../../native/quickack.node') as { quickAck?: unknown };
    addon = typeof m.quickAck === 'function' ? (m.quickAck as QuickAck) : null;
  } catch {
    addon = null;
  }
  return addon;
}

interface WithHandle {
  _handle?: { fd?: unknown } | null;
  _parent?: WithHandle | null;
}

function fdOf(socket: Duplex): number {
  const s = socket as unknown as WithHandle;
  for (const h of [s._handle, s._parent?._handle]) if (typeof h?.fd === 'number' && h.fd >= 0) return h.fd;
  return -1;
}

/** True when the kernel was asked to ACK now. */
export function ackNow(socket: Duplex): boolean {
  const q = load();
  if (q === null) return false;
  const fd = fdOf(socket);
  return fd >= 0 && q(fd);
}

export function quickAckAvailable(): boolean {
  return load() !== null;
}

/**
 * A farm of mutating servers: hundreds of loopback hosts, each a proxy in front of a real server
 * (Orthanc's DICOM and HTTP ports, and a TLS terminator in front of its DICOM port), whose answers
 * are mutated deterministically from (seed, host, port, connection number): any failure replays
 * exactly from those four numbers. DICOM answers are cut into PDUs and the k-th one is mutated —
 * bytes flipped, cut, inserted, its length set to 0, 1, 2^31-1 or 2^32-1 — sometimes followed by up
 * to five mutated P-DATA-TF PDUs; byte streams (HTTP, TLS) are mutated at a byte offset. After a
 * mutation the connection is closed at once, after 0.5 s or after 5 s. Loopback only.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';

export type Backend = { host: string; port: number };

export interface FarmPort {
  port: number;
  /** 'pdu': DICOM PDUs are cut out and mutated one at a time; 'bytes': the stream at an offset. */
  kind: 'pdu' | 'bytes';
  backend: Backend;
}

/** A small deterministic generator (mulberry32) seeded from the four numbers that name a connection. */
export function connectionRng(seed: number, host: string, port: number, conn: number): () => number {
  let a = createHash('sha256').update(`${seed}/${host}/${port}/${conn}`).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
const pick = <T>(rng: Rng, list: readonly T[]): T => list[Math.floor(rng() * list.length)] as T;
const LENGTHS = [0, 1, 0x7fffffff, 0xffffffff];
const CLOSE_AFTER_MS = [0, 500, 5000];

/** One mutation of one buffer; may cut it (then nothing after it is sent). */
export function mutate(rng: Rng, bytes: Buffer, pdu: boolean): { out: Buffer; cut: boolean; what: string } {
  const b = Buffer.from(bytes);
  const at = Math.floor(rng() * Math.max(1, b.length));
  const kinds = pdu ? ['flip', 'cut', 'insert', 'pdu-length', 'item-length'] : ['flip', 'cut', 'insert'];
  const kind = pick(rng, kinds);
  if (kind === 'flip') {
    const n = 1 + Math.floor(rng() * 4);
    for (let i = 0; i < n && b.length > 0; i++) {
      const j = Math.floor(rng() * b.length);
      b[j] = (b[j] as number) ^ (1 + Math.floor(rng() * 255));
    }
    return { out: b, cut: false, what: `flip ${n}` };
  }
  if (kind === 'cut') return { out: b.subarray(0, at), cut: true, what: `cut at ${at}` };
  if (kind === 'insert') {
    const extra = Buffer.from(Array.from({ length: 1 + Math.floor(rng() * 16) }, () => Math.floor(rng() * 256)));
    return {
      out: Buffer.concat([b.subarray(0, at), extra, b.subarray(at)]),
      cut: false,
      what: `insert ${extra.length} at ${at}`,
    };
  }
  const value = pick(rng, LENGTHS);
  if (kind === 'pdu-length' && b.length >= 6) {
    b.writeUInt32BE(value >>> 0, 2);
    return { out: b, cut: false, what: `PDU length ${value}` };
  }
  // an item or PDV length inside the body: a 16-bit or 32-bit field at a random offset
  if (b.length >= 12) {
    const off = 6 + Math.floor(rng() * (b.length - 10));
    if (rng() < 0.5) b.writeUInt16BE(value & 0xffff, off);
    else b.writeUInt32BE(value >>> 0, off);
  }
  return { out: b, cut: false, what: `inner length ${value}` };
}

/** A P-DATA-TF of random content (one PDV item of a random claimed length), then mutated. */
function junkPData(rng: Rng): Buffer {
  const data = Buffer.from(Array.from({ length: Math.floor(rng() * 64) }, () => Math.floor(rng() * 256)));
  const pdv = Buffer.alloc(6);
  pdv.writeUInt32BE(rng() < 0.5 ? data.length + 2 : pick(rng, LENGTHS) >>> 0, 0);
  pdv[4] = 1 + 2 * Math.floor(rng() * 8);
  pdv[5] = Math.floor(rng() * 4);
  const body = Buffer.concat([pdv, data]);
  const head = Buffer.alloc(6);
  head[0] = 0x04;
  head.writeUInt32BE(body.length, 2);
  return mutate(rng, Buffer.concat([head, body]), true).out;
}

interface Plan {
  /** Which answer (PDU index, or byte offset) is mutated; null for a clean connection. */
  at: number | null;
  closeAfterMs: number;
  extras: number;
}

function planFor(rng: Rng, kind: FarmPort['kind']): Plan {
  if (rng() < 0.25) return { at: null, closeAfterMs: 0, extras: 0 };
  // early answers most often (association, C-ECHO, the find test), later ones (C-FIND, C-GET) too
  const at = kind === 'pdu' ? Math.floor(rng() * rng() * 14) : Math.floor(rng() * rng() * 1500);
  return {
    at,
    closeAfterMs: pick(rng, CLOSE_AFTER_MS),
    extras: kind === 'pdu' && rng() < 0.3 ? 1 + Math.floor(rng() * 5) : 0,
  };
}

/** Cuts a stream into whole PDUs (no caps: the backend is a real server of ours). */
class Splitter {
  private buf = Buffer.alloc(0);
  push(chunk: Buffer): Buffer[] {
    this.buf = Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    while (this.buf.length >= 6) {
      const n = 6 + this.buf.readUInt32BE(2);
      if (this.buf.length < n) break;
      out.push(this.buf.subarray(0, n));
      this.buf = this.buf.subarray(n);
    }
    return out;
  }
}

function proxy(client: net.Socket, fp: FarmPort, rng: Rng): void {
  const plan = planFor(rng, fp.kind);
  const backend = net.connect(fp.backend.port, fp.backend.host);
  let done = false;
  const end = (): void => {
    done = true;
    client.destroy();
    backend.destroy();
  };
  client.on('error', end);
  backend.on('error', end);
  client.on('close', end);
  // the real server ended first: so does the client's connection (unless a mutation's close is pending)
  backend.on('close', () => (done ? undefined : client.end()));
  client.on('data', (d: Buffer) => void (done ? undefined : backend.write(d)));
  const finish = (): void => {
    done = true;
    backend.destroy();
    setTimeout(() => client.destroy(), plan.closeAfterMs);
  };
  const splitter = new Splitter();
  let index = 0;
  backend.on('data', (chunk: Buffer) => {
    if (done) return;
    const units = fp.kind === 'pdu' ? splitter.push(chunk) : [chunk];
    for (const unit of units) {
      if (done) return;
      const start = index;
      index += fp.kind === 'pdu' ? 1 : unit.length;
      const hit = plan.at !== null && (fp.kind === 'pdu' ? start === plan.at : plan.at >= start && plan.at < index);
      if (!hit) {
        client.write(unit);
        continue;
      }
      const m = mutate(rng, unit, fp.kind === 'pdu');
      const extras = Array.from({ length: plan.extras }, () => junkPData(rng));
      client.write(Buffer.concat([m.out, ...extras]));
      return finish();
    }
  });
}

export interface Farm {
  hosts: string[];
  ports: number[];
  connections: number;
  stop(): Promise<void>;
}

/** Every host listens on every farm port. */
export async function startFarm(seed: number, hosts: string[], ports: FarmPort[]): Promise<Farm> {
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  const counts = new Map<string, number>();
  const farm: Farm = { hosts, ports: ports.map((p) => p.port), connections: 0, stop: async () => undefined };
  for (const host of hosts) {
    for (const fp of ports) {
      const srv = net.createServer((client) => {
        farm.connections++;
        sockets.add(client);
        client.on('close', () => sockets.delete(client));
        const key = `${host}:${fp.port}`;
        const conn = counts.get(key) ?? 0;
        counts.set(key, conn + 1);
        proxy(client, fp, connectionRng(seed, host, fp.port, conn));
      });
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(fp.port, host, () => resolve());
      });
      servers.push(srv);
    }
  }
  farm.stop = async () => {
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  };
  return farm;
}

/** A TLS terminator on a loopback address in front of `target` (the farm mutates its ciphertext). */
export async function startTlsFront(
  host: string,
  port: number,
  target: { host: string; port: number },
  cert: { key: Buffer; cert: Buffer },
): Promise<{ stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({ key: cert.key, cert: cert.cert }, (s) => {
    const up = net.connect(target.port, target.host);
    sockets.add(s).add(up);
    const close = (): void => {
      s.destroy();
      up.destroy();
    };
    s.on('error', close).on('close', close);
    up.on('error', close).on('close', close);
    s.pipe(up).pipe(s);
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(port, host, () => resolve()));
  return {
    stop: async () => {
      for (const x of sockets) x.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

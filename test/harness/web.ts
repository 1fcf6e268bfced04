/**
 * Web peers for tests: a DICOMweb-only front (a reverse proxy that exposes nothing but a real
 * Orthanc's /dicom-web, as many deployments do) and scripted hostile HTTP servers.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

export interface WebPeer {
  host: string;
  port: number;
  requests: number;
  stop(): Promise<void>;
}

async function listen(srv: net.Server, host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, host, () => resolve());
  });
}

function closer(srv: net.Server, sockets: Set<net.Socket>): () => Promise<void> {
  return async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => srv.close(() => r()));
  };
}

/**
 * A reverse proxy in front of a real server: only paths under `prefix` (or that `prefix` lets
 * through) are forwarded, 404 for the rest; with `tls` it terminates HTTPS, as most Orthanc
 * deployments do.
 */
export async function startProxy(
  host: string,
  port: number,
  upstream: { host: string; port: number },
  prefix: string | ((url: string) => boolean),
  tls?: { key: string; cert: string },
  /** Pages the front serves itself (path → HTML, or a body and its type), beside the proxied API. */
  pages: Record<string, string | { type: string; body: string }> = {},
): Promise<WebPeer> {
  const allowed = typeof prefix === 'string' ? (url: string) => url.startsWith(prefix) : prefix;
  const sockets = new Set<net.Socket>();
  const peer: WebPeer = { host, port, requests: 0, stop: async () => undefined };
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    peer.requests++;
    const page = pages[req.url ?? ''];
    if (page !== undefined) {
      const { type, body } = typeof page === 'string' ? { type: 'text/html; charset=utf-8', body: page } : page;
      res.writeHead(200, { 'content-type': type }).end(body);
      return;
    }
    if (!allowed(req.url ?? '')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const up = http.request(
      {
        host: upstream.host,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, host: `${upstream.host}:${upstream.port}` },
      },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  };
  const srv =
    tls !== undefined
      ? https.createServer({ key: readFileSync(tls.key), cert: readFileSync(tls.cert) }, handler)
      : http.createServer(handler);
  srv.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await listen(srv, host, port);
  peer.stop = closer(srv, sockets);
  return peer;
}

/** Exposes nothing but upstream's /dicom-web/. */
export function startDicomWebProxy(
  host: string,
  port: number,
  upstream: { host: string; port: number },
): Promise<WebPeer> {
  return startProxy(host, port, upstream, '/dicom-web/');
}

/**
 * A front that lets QIDO-RS queries and WADO-URI through but blocks WADO-RS retrieval, as gateways
 * in front of older archives do (their viewers fetch instances by WADO-URI only).
 */
export function startWadoUriFront(
  host: string,
  port: number,
  upstream: { host: string; port: number },
): Promise<WebPeer> {
  return startProxy(
    host,
    port,
    upstream,
    (url) => url.startsWith('/wado?') || (url.startsWith('/dicom-web/') && !/\/instances\/[0-9.]+/.test(url)),
  );
}

export type HostileHttp = 'endless-body' | 'huge-headers' | 'slow-drip' | 'redirect-loop' | 'redirect-off-host';

/** A raw-socket HTTP server that misbehaves in one chosen way. */
export async function startHostileHttp(
  host: string,
  port: number,
  kind: HostileHttp,
  elsewhere = 'http://127.0.83.99:8042/',
): Promise<WebPeer> {
  const sockets = new Set<net.Socket>();
  const peer: WebPeer = { host, port, requests: 0, stop: async () => undefined };
  const srv = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    socket.once('data', () => {
      peer.requests++;
      const alive = () => !socket.destroyed;
      if (kind === 'endless-body') {
        socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n[');
        const pump = () => {
          while (alive() && socket.write(Buffer.alloc(65536, 0x20)));
          if (alive()) socket.once('drain', pump);
        };
        pump();
      } else if (kind === 'huge-headers') {
        socket.write('HTTP/1.1 200 OK\r\n');
        const pump = () => {
          while (alive() && socket.write(`x-filler: ${'a'.repeat(8000)}\r\n`));
          if (alive()) socket.once('drain', pump);
        };
        pump();
      } else if (kind === 'slow-drip') {
        const text = 'HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello';
        let i = 0;
        const t = setInterval(() => {
          if (!alive() || i >= text.length) return clearInterval(t);
          socket.write(text[i++] ?? '');
        }, 500);
      } else {
        const location = kind === 'redirect-loop' ? '/' : elsewhere;
        socket.end(`HTTP/1.1 302 Found\r\nlocation: ${location}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
      }
    });
  });
  await listen(srv, host, port);
  peer.stop = closer(srv, sockets);
  return peer;
}

/**
 * A web viewer's front: its own page lists the studies and links each to its object by WADO-URI
 * (PS3.18 §9), and only `/wado?` goes through to the real archive behind.
 */
export function startViewerFront(
  host: string,
  port: number,
  upstream: { host: string; port: number },
  page: string,
): Promise<WebPeer> {
  return startProxy(host, port, upstream, (url) => url.startsWith('/wado?'), undefined, { '/': page });
}

/**
 * An HTTP server that answers only a whole request (up to its blank line) and says nothing to
 * anything else, as small embedded servers that read lines do: silent to a TLS ClientHello.
 */
export async function startWholeRequestHttp(host: string, port: number): Promise<WebPeer> {
  const sockets = new Set<net.Socket>();
  const peer: WebPeer = { host, port, requests: 0, stop: async () => undefined };
  const body = '<html><head><title>Embedded</title></head><body>status</body></html>';
  const srv = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    let seen = '';
    socket.on('data', (b: Buffer) => {
      seen += b.toString('latin1');
      if (!seen.includes('\r\n\r\n')) return;
      peer.requests++;
      socket.end(
        `HTTP/1.1 200 OK\r\nServer: whole-request\r\nContent-Type: text/html\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
  });
  await listen(srv, host, port);
  peer.stop = closer(srv, sockets);
  return peer;
}

/**
 * The port sweep: the native helper and both JavaScript connectors (libuv handle, net.Socket)
 * agree on open, refused and silent ports, IPv4 and IPv6; the worker pool and the helpers answer
 * like the calling thread and survive their workers dying; the shared rate budget holds across
 * threads and processes.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { RateLimiter } from '../src/sweep/rate.js';
import { SweepPool } from '../src/sweep/sweepPool.js';
import { ConnectSweeper, type SweepJob, type SweepResult } from '../src/sweep/connectSweep.js';
import { pickConnector, socketConnector } from '../src/sweep/connector.js';
import { NativeSweeper, helperAvailable } from '../src/sweep/nativeSweep.js';
import { NATIVE_SKIP } from './harness/native.js';
import { ackNow, quickAckAvailable } from '../src/net/quickAck.js';
import { PassThrough } from 'node:stream';
import { startSilentPort } from './harness/silent.js';

const HOST = '127.0.86.2';

async function listener(host: string): Promise<net.Server & { port: number }> {
  const srv = net.createServer((s) => void s.on('error', () => undefined));
  await new Promise<void>((r, j) => srv.once('error', j).listen(0, host, () => r()));
  return Object.assign(srv, { port: (srv.address() as net.AddressInfo).port });
}

async function ipv6(): Promise<boolean> {
  const s = net.createServer();
  return new Promise((r) => s.once('error', () => r(false)).listen(0, '::1', () => s.close(() => r(true))));
}

interface Named {
  name: string;
  sweep(jobs: SweepJob[]): Promise<SweepResult[]>;
  close(): Promise<void>;
}

/** Every way opendoor sweeps, with one timeout. */
function sweepers(timeoutMs: number, rate = new RateLimiter(0)): Named[] {
  const js = (connector = pickConnector()): Named => {
    const s = new ConnectSweeper(rate, timeoutMs, 64, connector);
    return { name: `js/${connector.name}`, sweep: (j) => s.sweep(j), close: async () => undefined };
  };
  const all = [js(), js(socketConnector)];
  if (NATIVE_SKIP !== false) return all;
  const native = new NativeSweeper({
    rate,
    timeoutMs,
    inFlight: 64,
    processes: 1,
    fallback: () => Promise.reject(new Error('no fallback here')),
  });
  return [{ name: 'native', sweep: (j) => native.sweep(j), close: () => native.close() }, ...all];
}

test('the native parts are built (sweep helper, quick-ACK addon), and Node has the tcp_wrap binding', {
  skip: NATIVE_SKIP,
}, async () => {
  assert.ok(helperAvailable(), 'dist/native/opendoor-sweep (npm run build compiles native/sweep.c)');
  assert.equal(pickConnector().name, 'handle');
  assert.ok(quickAckAvailable(), 'dist/native/quickack.node (npm run build compiles native/quickack.c)');
  const srv = await listener(HOST);
  const s = net.connect({ host: HOST, port: srv.port });
  try {
    await new Promise((r) => s.once('connect', r));
    assert.equal(ackNow(s), true, 'setsockopt(TCP_QUICKACK) on a connected socket');
    assert.equal(ackNow(new PassThrough()), false, 'a stream without a descriptor is left alone');
  } finally {
    s.destroy();
    srv.close();
  }
});

test('every sweeper: open, refused and silent ports, each within the timeout', async () => {
  const open = await listener(HOST);
  const silent = await startSilentPort(HOST);
  try {
    for (const s of sweepers(400)) {
      const t0 = performance.now();
      const [r] = await s.sweep([{ host: HOST, ports: [9, open.port, silent.port, 1] }]);
      const ms = performance.now() - t0;
      await s.close();
      assert.deepEqual(r, { open: [open.port], slow: [silent.port] }, s.name);
      assert.ok(ms >= 390 && ms < 2000, `${s.name}: ${ms} ms`);
    }
  } finally {
    silent.stop();
    open.close();
  }
});

test('every sweeper: IPv6 loopback', { skip: !(await ipv6()) && 'no ::1 here' }, async () => {
  const open = await listener('::1');
  try {
    for (const s of sweepers(1000)) {
      const [r] = await s.sweep([{ host: '::1', ports: [open.port, 9] }]);
      await s.close();
      assert.deepEqual(r, { open: [open.port], slow: [] }, s.name);
    }
  } finally {
    open.close();
  }
});

test('native helpers: a thousand hosts as the calling thread sees them; a dead helper fails its batch, then the fallback sweeps', {
  skip: NATIVE_SKIP,
}, async () => {
  const open = await listener(HOST);
  const jobs = Array.from({ length: 1000 }, (_, i) => ({ host: `127.0.87.${i % 250}`, ports: [9, 1, 2, 3] }));
  jobs.push({ host: HOST, ports: Array.from({ length: 300 }, (_, i) => (i === 150 ? open.port : 1000 + i)) });
  const rate = new RateLimiter(0);
  const local = new ConnectSweeper(rate, 2000, 256);
  const native = new NativeSweeper({
    rate,
    timeoutMs: 2000,
    inFlight: 256,
    processes: 2,
    fallback: (j) => local.sweep(j),
  });
  try {
    const expected = await local.sweep(jobs);
    assert.deepEqual(await native.sweep(jobs), expected);
    assert.deepEqual(expected.at(-1), { open: [open.port], slow: [] }, 'a host with more ports than one job carries');
    native.killOne();
    const silent = await startSilentPort(HOST);
    try {
      // a batch on its way while one helper dies: failed as a whole (its hosts stay resumable), never half-answered
      const outcomes = await Promise.allSettled([
        native.sweep([{ host: HOST, ports: [silent.port] }]),
        native.sweep([{ host: HOST, ports: [silent.port] }]),
      ]);
      assert.ok(
        outcomes.every((o) =>
          o.status === 'fulfilled' ? o.value[0]?.slow[0] === silent.port : /exited/.test(String(o.reason)),
        ),
      );
    } finally {
      silent.stop();
    }
    native.killOne();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(native.size, 0);
    assert.deepEqual(await native.sweep([{ host: HOST, ports: [open.port, 9] }]), [{ open: [open.port], slow: [] }]);
  } finally {
    await native.close();
    open.close();
  }
});

test('native helpers: one that hangs (SIGSTOP) while holding work is killed, its batch fails, the fallback sweeps', {
  skip: NATIVE_SKIP,
}, async () => {
  const silent = await startSilentPort(HOST);
  const rate = new RateLimiter(0);
  const local = new ConnectSweeper(rate, 200, 64);
  const native = new NativeSweeper({
    rate,
    timeoutMs: 200,
    inFlight: 64,
    processes: 1,
    fallback: (j) => local.sweep(j),
  });
  try {
    const pending = native.sweep([{ host: HOST, ports: [silent.port] }]);
    const pid = native.pids()[0];
    // a signal for one process only: kill(-1) or kill(0) would stop every process or the whole group
    assert.ok(pid !== undefined && pid > 1, `a helper started (pid ${pid})`);
    process.kill(pid, 'SIGSTOP');
    const t0 = performance.now();
    await assert.rejects(pending, /exited \(SIGKILL\)/);
    const ms = performance.now() - t0;
    assert.ok(ms > 4000 && ms < 9000, `killed after ${ms.toFixed(0)} ms (3 timeouts + 5 s, checked every second)`);
    assert.equal(native.size, 0);
    assert.deepEqual(await native.sweep([{ host: HOST, ports: [silent.port, 9] }]), [
      { open: [], slow: [silent.port] },
    ]);
  } finally {
    await native.close();
    silent.stop();
  }
});

test('a thousand hosts through the pool: same answers as one thread; a dead worker is dropped, then the calling thread sweeps', async () => {
  const open = await listener(HOST);
  const jobs = Array.from({ length: 1000 }, (_, i) => ({ host: `127.0.87.${i % 250}`, ports: [9, 1] }));
  jobs.push({ host: HOST, ports: [open.port, 9] });
  const rate = new RateLimiter(0);
  const pool = new SweepPool({ rate, timeoutMs: 2000, inFlight: 256, threads: 2 });
  try {
    const local = await new ConnectSweeper(rate, 2000, 256).sweep(jobs);
    const pooled = await pool.sweep(jobs);
    assert.deepEqual(pooled, local);
    assert.deepEqual(pooled.at(-1), { open: [open.port], slow: [] });
    assert.equal(pooled.filter((r) => r.open.length + r.slow.length > 0).length, 1);
    await pool.killOne();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(pool.size, 1);
    await pool.killOne();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(pool.size, 0);
    assert.deepEqual(await pool.sweep([{ host: HOST, ports: [open.port, 9] }]), [{ open: [open.port], slow: [] }]);
  } finally {
    await pool.close();
    open.close();
  }
});

test('the rate budget is one for all: 2 worker threads, or 2 helpers, at 400/s take 240 connects in no less than 0.5 s', async (t) => {
  const jobs = Array.from({ length: 120 }, (_, i) => ({ host: `127.0.88.${i + 1}`, ports: [9] }));
  if (NATIVE_SKIP !== false) t.diagnostic(`helpers: ${NATIVE_SKIP}`);
  for (const kind of NATIVE_SKIP === false ? ['threads', 'helpers'] : ['threads']) {
    const rate = new RateLimiter(400); // a tenth of a second's worth (40) may go at once
    const s =
      kind === 'threads'
        ? new SweepPool({ rate, timeoutMs: 2000, inFlight: 256, threads: 2 })
        : new NativeSweeper({
            rate,
            timeoutMs: 2000,
            inFlight: 256,
            processes: 2,
            fallback: () => Promise.reject(new Error('none')),
          });
    try {
      const t0 = performance.now();
      await Promise.all([s.sweep(jobs), s.sweep(jobs)]);
      const ms = performance.now() - t0;
      assert.ok(ms >= 480, `${kind}: 240 connects at 400/s with a burst of 40 took ${ms.toFixed(0)} ms`);
    } finally {
      await s.close();
    }
  }
});

test('a limiter shared through its buffer spends one budget', () => {
  const a = new RateLimiter(100);
  const b = new RateLimiter(100, a.buffer);
  let granted = 0;
  for (let i = 0; i < 50; i++) if ((i % 2 === 0 ? a : b).tryTake() === 0) granted++;
  assert.equal(granted, 10, 'a burst of a tenth of a second: 10 connects, shared');
  assert.ok(a.tryTake() > 0 && b.tryTake() > 0);
});

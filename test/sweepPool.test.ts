/** The sweep pool: answers like the main-thread sweep, and survives its workers dying. */
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { SweepPool } from '../src/engine/sweepPool.js';
import { sweepPorts } from '../src/engine/sweepPorts.js';

test('a worker sweep finds the same open ports as the main thread; a dead worker is dropped, then the main thread sweeps', async () => {
  const srv = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => srv.listen(0, '127.0.86.2', () => r()));
  const open = (srv.address() as net.AddressInfo).port;
  const ports = [open, 9, 1];
  const pool = new SweepPool(2);
  try {
    const main = await sweepPorts('127.0.86.2', ports, 1000);
    assert.deepEqual(main.open, [open]);
    assert.deepEqual((await pool.sweep('127.0.86.2', ports, 1000)).open, [open]);
    await pool.killOne();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(pool.size, 1);
    await pool.killOne();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(pool.size, 0);
    assert.deepEqual((await pool.sweep('127.0.86.2', ports, 1000)).open, [open]);
  } finally {
    await pool.close();
    srv.close();
  }
});

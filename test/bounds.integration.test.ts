/**
 * --concurrency bounds the hosts probed at once, however many hosts of one sweep batch turn out
 * open (it once bounded only the hosts handed to the sweep: a batch of 24 open hosts was probed
 * all at once under --concurrency 4).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from './harness/cli.js';
import { startMuteHosts } from './harness/mute.js';

test('--concurrency 4 over 16 open, mute hosts swept in one batch: at most 4 probed at once, every host recorded', async () => {
  const mute = await startMuteHosts('127.0.97', 16);
  try {
    const r = await runCli(['scan', '127.0.97.1-16', '-p', '104', '--timeout', '300', '--concurrency', '4', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const services = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; host?: string })
      .filter((x) => x.type === 'service');
    assert.equal(services.length, 16);
    assert.ok(mute.maxTalking() >= 2, 'hosts were probed side by side');
    assert.ok(mute.maxTalking() <= 4, `${mute.maxTalking()} hosts probed at once`);
  } finally {
    await mute.stop();
  }
});

/**
 * `npm run demo`: start a small network of real imaging servers on loopback (Orthanc open and
 * locked, dcmqrscp, DICOM over TLS, HTTP on a DICOM port, a tarpit) filled with synthetic
 * studies, scan it with opendoor as a user would, print the summary, and stop everything.
 */
import { spawn } from 'node:child_process';
import { CLI } from '../test/harness/cli.js';
import { FLEET_RANGE, startFleet } from '../test/harness/fleet.js';

async function main(): Promise<number> {
  process.stderr.write('demo: starting local servers on 127.0.77.2-10 ...\n');
  const fleet = await startFleet();
  try {
    const args = ['scan', FLEET_RANGE, '--timeout', '1500', ...process.argv.slice(2)];
    process.stderr.write(`demo: opendoor ${args.join(' ')}\n\n`);
    return await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], { stdio: 'inherit' });
      child.on('close', (code) => resolve(code ?? 1));
    });
  } finally {
    await fleet.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`demo: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);

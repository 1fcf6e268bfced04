/**
 * `npm run demo`: start a small network of real imaging servers on loopback (Orthanc open and
 * locked, dcmqrscp, DICOM over TLS, HTTP on a DICOM port, a tarpit) filled with synthetic
 * studies, scan it with opendoor as a user would, print the summary, and stop everything.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI } from '../test/harness/cli.js';
import { FLEET_RANGE, startFleet } from '../test/harness/fleet.js';

async function main(): Promise<number> {
  process.stderr.write('demo: starting local servers on 127.0.77.2-10 ...\n');
  const fleet = await startFleet();
  const db = path.join(mkdtempSync(path.join(os.tmpdir(), 'opendoor-demo-')), 'demo.db');
  const run = (args: string[]) =>
    new Promise<number>((resolve) => {
      process.stderr.write(`demo: opendoor ${args.join(' ')}\n`);
      const child = spawn(process.execPath, [CLI, ...args], { stdio: 'inherit' });
      child.on('close', (code) => resolve(code ?? 1));
    });
  try {
    const code = await run(['scan', FLEET_RANGE, '--timeout', '1500', '--db', db, ...process.argv.slice(2)]);
    if (code !== 0) return code;
    const report = path.resolve('demo-report.html');
    const r = await run(['report', '--db', db, '--format', 'html', '-o', report]);
    process.stderr.write(`\ndemo: the HTML report for the data-protection officer is ${report}\n`);
    const cli = path.relative(process.cwd(), CLI);
    process.stderr.write(
      `demo: the same scan in the dashboard (the servers are gone, the results stay):\n` +
        `  printf '%s\\n' 'a password of yours' | node ${cli} user add you --role admin --db ${db}\n` +
        `  node ${cli} serve --db ${db}     # then open http://127.0.0.1:8750/\n`,
    );
    return r;
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

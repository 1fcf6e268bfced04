/**
 * A real PostgreSQL from Debian's package for the tests: `initdb` into a temporary directory and
 * `postgres` on a free loopback port, run as the `postgres` user when the tests run as root (the
 * server refuses root), stopped and removed afterwards. Each suite gets fresh databases from it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

export interface Postgres {
  host: string;
  port: number;
  /**
   * A new, empty database on this server: its URL. `icuLocale` gives it that ICU collation (as a
   * cluster made with `initdb --locale=en_US.UTF-8` would sort text), instead of the cluster's C.
   */
  database(o?: { icuLocale?: string }): Promise<string>;
  /** Stop the server (fast shutdown: connections are cut) and start it again on the same port. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** The server's binaries: Debian keeps them under /usr/lib/postgresql/VERSION/bin. */
export function postgresBin(): string | null {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base)
    .filter((v) => existsSync(path.join(base, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] !== undefined ? path.join(base, versions[0], 'bin') : null;
}

const asRoot = process.getuid?.() === 0;

function asServerUser(cmd: string, args: string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

let counter = 0;

export async function startPostgres(host = '127.0.88.1'): Promise<Postgres> {
  const bin = postgresBin();
  if (bin === null) throw new Error('PostgreSQL is not installed (Debian package postgresql; scripts/setup.sh)');
  const dir = mkdtempSync('/tmp/opendoor-pg-');
  const data = path.join(dir, 'data');
  if (asRoot) chownSync(dir, Number(spawnSync('id', ['-u', 'postgres']).stdout), 0);
  const [icmd, iargs] = asServerUser(path.join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '--no-sync',
    '-E',
    'UTF8',
    '--locale=C',
  ]);
  const init = spawnSync(icmd, iargs, { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort(host);
  let server: ReturnType<typeof spawn> | null = null;
  const start = async (): Promise<void> => {
    const [cmd, args] = asServerUser(path.join(bin, 'postgres'), [
      '-D',
      data,
      '-p',
      String(port),
      '-h',
      host,
      '-k',
      dir,
      '-c',
      'fsync=off',
      '-c',
      'max_connections=200',
    ]);
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let log = '';
    child.stderr?.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-4000)));
    server = child;
    for (const until = Date.now() + 20_000; ; ) {
      const c = new pg.Client({ host, port, user: 'postgres', database: 'postgres' });
      try {
        await c.connect();
        await c.end();
        return;
      } catch {
        await c.end().catch(() => undefined);
        if (child.exitCode !== null || Date.now() > until) throw new Error(`postgres did not start: ${log}`);
        await sleep(100);
      }
    }
  };
  const halt = async (): Promise<void> => {
    const s = server;
    server = null;
    if (s === null || s.exitCode !== null || s.pid === undefined) return;
    const exited = new Promise((r) => s.once('exit', r));
    process.kill(-s.pid, 'SIGINT'); // fast shutdown, to the group: runuser does not pass signals on
    await exited;
    // runuser may end before the server: done once the server has removed its pid file
    for (const until = Date.now() + 10_000; existsSync(path.join(data, 'postmaster.pid')) && Date.now() < until; )
      await sleep(50);
  };
  const killAtExit = () => {
    const s = server;
    if (s?.pid !== undefined && s.exitCode === null) process.kill(-s.pid, 'SIGKILL');
  };
  process.on('exit', killAtExit);
  await start();
  return {
    host,
    port,
    database: async (o = {}) => {
      const name = `t${process.pid}_${++counter}`;
      const c = new pg.Client({ host, port, user: 'postgres', database: 'postgres' });
      await c.connect();
      try {
        const icu =
          o.icuLocale !== undefined ? ` TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '${o.icuLocale}'` : '';
        await c.query(`CREATE DATABASE ${name}${icu}`);
      } finally {
        await c.end();
      }
      return `postgres://postgres@${host}:${port}/${name}`;
    },
    restart: async (downMs = 0) => {
      await halt();
      await sleep(downMs);
      await start();
    },
    stop: async () => {
      await halt();
      process.off('exit', killAtExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

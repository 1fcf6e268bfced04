/** `opendoor serve` started as a user starts it (on a free port of a loopback address), and a client of its API. */
import type { ChildProcess } from 'node:child_process';
import { runCli, startCli } from './cli.js';

export interface Serve {
  child: ChildProcess;
  base: string;
  stderr: () => string;
  /** A request to the API, with a token when given (JSON bodies). */
  api(path: string, init?: RequestInit & { token?: string }): Promise<Response>;
  stop(): Promise<void>;
}

export async function startServe(host: string, args: string[], env: Record<string, string> = {}): Promise<Serve> {
  const child = startCli(['serve', '--listen', `${host}:0`, ...args], env);
  let err = '';
  const base = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`serve did not start: ${err}`)), 20_000);
    child.stderr?.on('data', (b: Buffer) => {
      err += b.toString();
      const m = /serving (http:\/\/\S+?)\/? /.exec(err);
      if (m?.[1] !== undefined) {
        clearTimeout(t);
        resolve(m[1]);
      }
    });
    child.on('exit', () => reject(new Error(`serve exited: ${err}`)));
  });
  const exited = new Promise((r) => child.on('exit', r));
  return {
    child,
    base,
    stderr: () => err,
    api: (path, init = {}) =>
      fetch(`${base}${path}`, {
        ...init,
        headers: {
          ...(init.token !== undefined ? { authorization: `Bearer ${init.token}` } : {}),
          ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
      }),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** An admin and a viewer (CLI `user add`, password on stdin) and an API token for each. */
export async function addAccounts(db: string, password: string): Promise<{ admin: string; viewer: string }> {
  const tokens = { admin: '', viewer: '' };
  for (const role of ['admin', 'viewer'] as const) {
    const r = await runCli(['user', 'add', role, '--role', role, '--db', db], `${password}\n`);
    if (r.code !== 0) throw new Error(r.stderr);
    tokens[role] = (await runCli(['user', 'token', role, '--db', db])).stdout.trim();
  }
  return tokens;
}

/** Sign in as a browser would, with fetch: the login form's CSRF token, then its POST. Answers the session cookie. */
export async function signInCookie(base: string, username: string, password: string): Promise<string> {
  const form = await fetch(`${base}/login`);
  const first = (form.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: first },
    body: new URLSearchParams({ _csrf: csrf, username, password, next: '/' }),
  });
  if (res.status !== 303) throw new Error(`sign-in answered ${res.status}`);
  return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

/** The CSRF token of a page's forms, for a session. */
export async function formToken(base: string, cookie: string, path = '/scans'): Promise<string> {
  const html = await (await fetch(`${base}${path}`, { headers: { cookie } })).text();
  return /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
}

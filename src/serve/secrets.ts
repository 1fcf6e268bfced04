/**
 * Secrets of the dashboard's accounts. Passwords: scrypt at OWASP's cost (N = 2^17, r = 8, p = 1;
 * Password Storage Cheat Sheet), a random salt each, compared in constant time; one hash at a time,
 * as each takes 128 MiB. Session ids and API tokens: 32 random bytes, kept by their SHA-256 only.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const N = 2 ** 17;
const R = 8;
const P = 1;
const KEY = 32;
/** scrypt needs 128 × N × r bytes: room for that and a little more. */
const MAXMEM = 256 * 1024 * 1024;

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 1024;

let queue: Promise<unknown> = Promise.resolve();

/** One scrypt at a time in the process: memory stays bounded however many sign in at once. */
function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  const run = queue.then(
    () =>
      new Promise<Buffer>((resolve, reject) =>
        scrypt(password.normalize('NFKC'), salt, KEY, { N: n, r, p, maxmem: MAXMEM }, (e, key) =>
          e !== null ? reject(e) : resolve(key),
        ),
      ),
  );
  queue = run.catch(() => undefined);
  return run;
}

/** `scrypt$N$r$p$salt$hash`, base64url. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P);
  return ['scrypt', N, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await derive(password, Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p));
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A hash to compare against when the user does not exist: the answer takes as long either way. */
let dummy: Promise<string> | null = null;
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(16).toString('hex'));
  return dummy;
}

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** A new API token: shown once, kept as its SHA-256. */
export const newToken = (): string => `odt_${randomBytes(32).toString('base64url')}`;

/**
 * `opendoor user add NAME [--role admin|viewer]` (the password is one line on stdin) and
 * `opendoor user token NAME` (a new API token, printed once): the dashboard's accounts.
 */
import { PASSWORD_MAX, PASSWORD_MIN, hashPassword, newToken, sha256 } from '../serve/secrets.js';
import { ROLES, type Role } from '../store/store.js';
import { openStore } from '../store/open.js';
import { UsageError, type Io } from './io.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

function userName(name: string): string {
  if (!NAME.test(name))
    throw new UsageError(
      `user name must be 1-64 letters, digits or . _ @ - (starting with a letter or digit), got "${name}"`,
    );
  return name;
}

export async function userAddCommand(name: string, o: { db?: string; role: string }, io: Io): Promise<number> {
  userName(name);
  if (!(ROLES as readonly string[]).includes(o.role))
    throw new UsageError(`--role must be one of ${ROLES.join(', ')}, got "${o.role}"`);
  const lines = io.stdin().split('\n');
  const password = (lines[0] ?? '').replace(/\r$/, '');
  if (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX)
    throw new UsageError(
      `the password (one line on stdin) must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters, got ${password.length}`,
    );
  const hash = await hashPassword(password);
  const store = await openStore(o.db);
  try {
    const r = await store.accounts.putUser(name, o.role as Role, hash);
    io.stderr(
      r === 'added'
        ? `opendoor: user ${name} added (${o.role})\n`
        : `opendoor: user ${name} updated (${o.role}); their sessions ended\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

export async function userTokenCommand(name: string, o: { db?: string }, io: Io): Promise<number> {
  userName(name);
  const store = await openStore(o.db);
  try {
    if ((await store.accounts.user(name)) === null) throw new UsageError(`no user ${name} in ${store.where}`);
    const token = newToken();
    await store.accounts.addToken(sha256(token), name);
    io.stdout(`${token}\n`);
    io.stderr('opendoor: the token is shown this once; send it as "Authorization: Bearer TOKEN"\n');
    return 0;
  } finally {
    await store.close();
  }
}

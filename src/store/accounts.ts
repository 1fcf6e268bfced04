/**
 * The dashboard's accounts as the SQL store keeps them: users with their password's scrypt hash,
 * sessions kept on the server (revocable: a row deleted is a session ended), API tokens. Sessions
 * and tokens are stored by the SHA-256 of their secret, so the database never holds one usable.
 */
import type { SqlRunner } from './runner.js';
import type { AccountStore, Role, UserRow } from './store.js';

const USER = 'SELECT name, role, password, created FROM users';

export class SqlAccounts implements AccountStore {
  constructor(private readonly q: SqlRunner) {}

  putUser(name: string, role: Role, passwordHash: string): Promise<'added' | 'updated'> {
    return this.q.write(async () => {
      const changed = await this.q.db.run('UPDATE users SET role = ?, password = ? WHERE name = ?', [
        role,
        passwordHash,
        name,
      ]);
      if (changed === 1) {
        await this.q.db.run('DELETE FROM sessions WHERE user_name = ?', [name]);
        return 'updated';
      }
      await this.q.db.run('INSERT INTO users (name, role, password, created) VALUES (?, ?, ?, ?)', [
        name,
        role,
        passwordHash,
        new Date().toISOString(),
      ]);
      return 'added';
    });
  }

  async user(name: string): Promise<UserRow | null> {
    return (await this.q.read<UserRow>(`${USER} WHERE name = ?`, [name]))[0] ?? null;
  }

  async userCount(): Promise<number> {
    return Number((await this.q.read<{ n: number | string }>('SELECT COUNT(*) AS n FROM users'))[0]?.n ?? 0);
  }

  async addToken(idHash: string, userName: string): Promise<void> {
    await this.q.write(() =>
      this.q.db.run('INSERT INTO tokens (id, user_name, created) VALUES (?, ?, ?)', [
        idHash,
        userName,
        new Date().toISOString(),
      ]),
    );
  }

  async userByToken(idHash: string): Promise<UserRow | null> {
    const rows = await this.q.read<UserRow>(
      'SELECT u.name, u.role, u.password, u.created FROM tokens t JOIN users u ON u.name = t.user_name WHERE t.id = ?',
      [idHash],
    );
    return rows[0] ?? null;
  }

  async session(idHash: string): Promise<string | null> {
    const rows = await this.q.read<{ data: string }>('SELECT data FROM sessions WHERE id = ? AND expires > ?', [
      idHash,
      Date.now(),
    ]);
    return rows[0]?.data ?? null;
  }

  async putSession(idHash: string, userName: string, data: string, expires: number): Promise<void> {
    await this.q.write(async () => {
      await this.q.db.run('DELETE FROM sessions WHERE expires <= ?', [Date.now()]);
      await this.q.db.run(
        'INSERT INTO sessions (id, user_name, data, expires) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET user_name = excluded.user_name, data = excluded.data, expires = excluded.expires',
        [idHash, userName, data, expires],
      );
    });
  }

  async cookieKey(make: () => string): Promise<string> {
    await this.q.write(() =>
      this.q.db.run("INSERT INTO settings (name, value) VALUES ('cookie-key', ?) ON CONFLICT (name) DO NOTHING", [
        make(),
      ]),
    );
    const rows = await this.q.read<{ value: string }>("SELECT value FROM settings WHERE name = 'cookie-key'");
    const key = rows[0]?.value;
    if (key === undefined) throw new Error('no cookie key');
    return key;
  }

  async endSession(idHash: string): Promise<void> {
    await this.q.write(() => this.q.db.run('DELETE FROM sessions WHERE id = ?', [idHash]));
  }
}

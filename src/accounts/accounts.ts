import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import { authenticate } from '../core/errors.ts';
import { newSid } from '../core/sid.ts';
import type { Database } from '../store/database.ts';

export interface Credentials {
  accountSid: string;
  authToken: string;
  apiKey?: string;
  apiSecret?: string;
}

interface Principal {
  accountSid: string;
  secret: string;
}

const same = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * Accounts and API keys. Credentials are looked up once and kept in memory: they only change
 * through this class, so the cache cannot go stale on a single node.
 */
export class Accounts {
  private readonly cache = new Map<string, Principal>();

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /** Checks HTTP Basic credentials (account SID + auth token, or API key SID + secret). */
  async authenticate(header: string | undefined): Promise<string> {
    const m = /^Basic\s+(\S+)$/i.exec(header ?? '');
    if (!m) throw authenticate();
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    // No credential holds a NUL, and PostgreSQL cannot even look one up: refused without a lookup.
    if (colon < 0 || decoded.includes('\u0000')) throw authenticate();
    const username = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const principal = this.cache.get(username) ?? (await this.load(username));
    if (!principal || !same(principal.secret, password)) throw authenticate();
    return principal.accountSid;
  }

  private async load(username: string): Promise<Principal | undefined> {
    let principal: Principal | undefined;
    if (username.startsWith('AC')) {
      const row = await this.db.get<{ auth_token: string }>('SELECT auth_token FROM accounts WHERE sid = ?', [username]);
      if (row) principal = { accountSid: username, secret: row.auth_token };
    } else if (username.startsWith('SK')) {
      const row = await this.db.get<{ account_sid: string; secret: string }>(
        'SELECT account_sid, secret FROM api_keys WHERE sid = ?',
        [username],
      );
      if (row) principal = { accountSid: row.account_sid, secret: row.secret };
    }
    if (principal) this.cache.set(username, principal);
    return principal;
  }

  /** Makes an account exist with exactly this token (and API key, when given). */
  async ensure(c: Credentials, friendlyName = 'Switchyard'): Promise<void> {
    const now = this.clock.now();
    // Upserts, so that several nodes starting at once with the same credentials all succeed.
    await this.db.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO accounts (sid, auth_token, friendly_name, date_created) VALUES (?, ?, ?, ?)
         ON CONFLICT (sid) DO UPDATE SET auth_token = excluded.auth_token`,
        [c.accountSid, c.authToken, friendlyName, now],
      );
      if (c.apiKey && c.apiSecret)
        await tx.run(
          `INSERT INTO api_keys (sid, account_sid, secret, friendly_name, date_created) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (sid) DO UPDATE SET account_sid = excluded.account_sid, secret = excluded.secret`,
          [c.apiKey, c.accountSid, c.apiSecret, friendlyName, now],
        );
    });
    this.cache.delete(c.accountSid);
    if (c.apiKey) this.cache.delete(c.apiKey);
  }

  /** Creates a fresh account with a random token and an API key: used by tests and the dev account. */
  async create(friendlyName: string): Promise<Required<Credentials>> {
    const c = {
      accountSid: newSid('AC'),
      authToken: randomBytes(16).toString('hex'),
      apiKey: newSid('SK'),
      apiSecret: randomBytes(16).toString('hex'),
    };
    await this.ensure(c, friendlyName);
    return c;
  }

  /**
   * The development account used when no credentials are configured: created on first start,
   * kept in the store, the same on every later start.
   */
  async developmentAccount(): Promise<Required<Credentials>> {
    const row = await this.db.get<{ value: string }>("SELECT value FROM settings WHERE name = 'dev_account'");
    if (row) return JSON.parse(row.value);
    const c = await this.create('Switchyard development account');
    // Two nodes starting at once on an empty store: the first one's account wins, for both.
    await this.db.run("INSERT INTO settings (name, value) VALUES ('dev_account', ?) ON CONFLICT (name) DO NOTHING", [JSON.stringify(c)]);
    const kept = await this.db.get<{ value: string }>("SELECT value FROM settings WHERE name = 'dev_account'");
    return JSON.parse(kept!.value);
  }
}

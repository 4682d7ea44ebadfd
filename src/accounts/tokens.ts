import { createHmac, randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import { newSid } from '../core/sid.ts';
import type { Database } from '../store/database.ts';

const SIGNING_KEY_NAME = 'Switchyard token signing';

/**
 * Mints Twilio access tokens for the pages (agents, web chat customers): the same JWT as
 * `twilio.jwt.AccessToken`, signed with an API key of the account that the server keeps for
 * itself (created on first use), so the verifiers of the event bridge and of twilsock (the
 * Conversations SDK) take them like any other token.
 */
export class TokenMinter {
  private readonly keys = new Map<string, { sid: string; secret: string }>();

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  private async signingKey(accountSid: string): Promise<{ sid: string; secret: string }> {
    const cached = this.keys.get(accountSid);
    if (cached) return cached;
    let row = await this.db.get<{ sid: string; secret: string }>('SELECT sid, secret FROM api_keys WHERE account_sid = ? AND friendly_name = ? ORDER BY sid LIMIT 1', [accountSid, SIGNING_KEY_NAME]);
    if (!row) {
      // Two nodes at once may each create one; either key verifies, and the lowest SID is used from then on.
      await this.db.run('INSERT INTO api_keys (sid, account_sid, secret, friendly_name, date_created) VALUES (?, ?, ?, ?, ?)', [
        newSid('SK'),
        accountSid,
        randomBytes(32).toString('hex'),
        SIGNING_KEY_NAME,
        this.clock.now(),
      ]);
      row = await this.db.get<{ sid: string; secret: string }>('SELECT sid, secret FROM api_keys WHERE account_sid = ? AND friendly_name = ? ORDER BY sid LIMIT 1', [accountSid, SIGNING_KEY_NAME]);
    }
    const key = { sid: row!.sid, secret: row!.secret };
    this.keys.set(accountSid, key);
    return key;
  }

  /** A token for `identity` with these grants (e.g. {chat: {...}}, {task_router: {...}}), valid for `ttlSeconds`. */
  async mint(accountSid: string, identity: string, grants: Record<string, unknown>, ttlSeconds: number): Promise<{ token: string; expires: number }> {
    const key = await this.signingKey(accountSid);
    const iat = Math.floor(this.clock.now() / 1000);
    const exp = iat + ttlSeconds;
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const head = enc({ alg: 'HS256', typ: 'JWT', cty: 'twilio-fpa;v=1' });
    // A JWT ID of its own (Twilio's is key and second): two sign-ins in one second are two
    // sessions, which the event bridge tells apart by their token (closeExistingSessions).
    const body = enc({ jti: `${key.sid}-${iat}-${randomBytes(8).toString('hex')}`, grants: { identity, ...grants }, iat, exp, iss: key.sid, sub: accountSid });
    const sig = createHmac('sha256', key.secret).update(`${head}.${body}`).digest('base64url');
    return { token: `${head}.${body}.${sig}`, expires: exp * 1000 };
  }
}

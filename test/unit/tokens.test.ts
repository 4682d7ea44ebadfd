import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { TokenMinter } from '../../src/accounts/tokens.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { verifyAccessToken } from '../../src/core/access-token.ts';
import { openDatabase } from '../../src/store/open.ts';

test('minted tokens verify with the account key the minter keeps, carry the grants, and expire', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-tokens-'));
  const db = await openDatabase({ sqliteFile: join(dir, 't.db') });
  try {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    await db.run("INSERT INTO accounts (sid, auth_token, friendly_name, date_created) VALUES ('AC00000000000000000000000000000001', 'x', 'a', 0)");
    const minter = new TokenMinter(db, clock);
    const { token, expires } = await minter.mint('AC00000000000000000000000000000001', 'alice', { chat: { service_sid: 'IS1' } }, 600);
    assert.equal(expires, clock.now() + 600_000);
    const lookup = async (sk: string, ac: string) =>
      (await db.get<{ secret: string }>('SELECT secret FROM api_keys WHERE sid = ? AND account_sid = ?', [sk, ac]))?.secret;
    const v = await verifyAccessToken(token, lookup, clock.now(), 'chat');
    assert.equal(v.identity, 'alice');
    assert.equal(v.accountSid, 'AC00000000000000000000000000000001');
    assert.deepEqual(v.grants.chat, { service_sid: 'IS1' });
    const again = await minter.mint('AC00000000000000000000000000000001', 'bob', {}, 60);
    assert.equal(JSON.parse(Buffer.from(again.token.split('.')[1], 'base64url').toString()).iss, v.apiKeySid, 'one signing key per account');
    assert.equal((await db.all('SELECT sid FROM api_keys')).length, 1);
    clock.advance(600_000);
    await assert.rejects(verifyAccessToken(token, lookup, clock.now()), /expired/);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

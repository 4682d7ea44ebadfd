import { AccessTokenError, verifyAccessToken } from '../../core/access-token.ts';
import { TokenRefused } from '../../twilsock/endpoint.ts';
import type { Principal } from '../../twilsock/session.ts';
import { accountDefaults } from '../service/deps.ts';
import type { ConversationsApi } from '../services.ts';

/** Who an SDK connection acts for: an identity in one Conversation Service of one account, until its token expires. */
export interface SdkPrincipal extends Principal {
  accountSid: string;
  serviceSid: string;
  identity: string;
}

/**
 * Verifies the token of `init` (or of `update`, with the principal it renews): an AccessToken with a
 * ChatGrant, signed with an API key of the account it names, as web chat sessions verify it. The
 * grant's service_sid names the service (one of the account's), else the account's default. A
 * renewal must be for the same identity and service. The identity's user is made on first connection,
 * as Twilio makes users implicitly.
 */
export async function authenticate(api: ConversationsApi, token: string, previous: SdkPrincipal | null): Promise<SdkPrincipal> {
  let verified;
  try {
    verified = await verifyAccessToken(
      token,
      async (sid, account) => (await api.db.get<{ secret: string }>('SELECT secret FROM api_keys WHERE sid = ? AND account_sid = ?', [sid, account]))?.secret,
      api.clock.now(),
      'chat',
    );
  } catch (err) {
    if (err instanceof AccessTokenError) throw new TokenRefused(401, err.code, err.message);
    throw err;
  }
  const grant = verified.grants.chat as Record<string, unknown> | null;
  const named = grant && typeof grant === 'object' ? grant.service_sid : undefined;
  let serviceSid: string;
  if (named === undefined || named === null || named === '') serviceSid = (await accountDefaults(api.db, verified.accountSid, api.clock.now())).service.sid;
  else {
    const row = typeof named === 'string' ? await api.db.get<{ sid: string }>('SELECT sid FROM conversation_services WHERE sid = ? AND account_sid = ?', [named, verified.accountSid]) : undefined;
    if (!row) throw new TokenRefused(401, 20101, `The ChatGrant names service ${String(named)}, which is not a Conversation Service of account ${verified.accountSid}`);
    serviceSid = row.sid;
  }
  const principal: SdkPrincipal = {
    key: `${verified.accountSid}|${serviceSid}|${verified.identity}`,
    accountSid: verified.accountSid,
    serviceSid,
    identity: verified.identity,
    expiresAt: verified.exp * 1000,
  };
  if (previous && previous.key !== principal.key) throw new TokenRefused(403, 20403, 'A renewed token must be for the same identity, account and service');
  if (!previous) await api.users.connect(principal.accountSid, principal.serviceSid, principal.identity);
  return principal;
}

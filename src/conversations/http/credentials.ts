import { isoDate } from '../../core/clock.ts';
import { invalidParameter } from '../../core/errors.ts';
import type { Route } from '../../http/context.ts';
import { pageReply } from '../../http/page.ts';
import type { Params } from '../../http/params.ts';
import type { CredentialRow, PushType } from '../model-users.ts';
import type { CredentialInput } from '../service/credentials.ts';
import type { ConversationsApi } from '../services.ts';
import { page } from './validate.ts';

const BASE = '/v1/Credentials';
const TYPES: PushType[] = ['apn', 'gcm', 'fcm'];
/** A certificate chain or key in PEM text fits in this many characters. */
const MAX_SECRET = 16 * 1024;

/** Never the secrets: Twilio's resource shows what a credential is for, not what it holds. `sandbox` is text, as in Twilio's examples. */
export function credential(base: string, c: CredentialRow) {
  return {
    sid: c.sid,
    account_sid: c.account_sid,
    friendly_name: c.friendly_name,
    type: c.type,
    sandbox: c.sandbox ? 'True' : 'False',
    date_created: isoDate(c.date_created),
    date_updated: isoDate(c.date_updated),
    url: `${base}/v1/Credentials/${c.sid}`,
  };
}

function input(p: Params): CredentialInput {
  // Checked so a malformed request is refused as Twilio would, then dropped (see CredentialService).
  for (const secret of ['Certificate', 'PrivateKey', 'ApiKey', 'Secret']) p.string(secret, { maxLength: MAX_SECRET });
  return {
    type: p.enum('Type', TYPES),
    friendlyName: p.string('FriendlyName', { maxLength: 64 }),
    sandbox: p.bool('Sandbox'),
  };
}

/** Push credentials of the account. They are stored and listed; Switchyard sends no push notifications. */
export function credentialRoutes(api: ConversationsApi): Route[] {
  const cr = api.credentials;
  return [
    {
      method: 'GET',
      path: BASE,
      handler: async (ctx) => {
        const req = page(ctx, 100);
        const rows = await cr.list(ctx.accountSid, req.pageSize + 1, req.offset);
        return pageReply(ctx, 'credentials', rows.map((c) => credential(ctx.base, c)), req);
      },
    },
    {
      method: 'POST',
      path: BASE,
      handler: async (ctx) => {
        const body = input(ctx.body);
        if (body.type === undefined) throw invalidParameter('Missing required parameter Type in the post body');
        return { status: 201, body: credential(ctx.base, await cr.create(ctx.accountSid, { ...body, type: body.type })) };
      },
    },
    {
      method: 'GET',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => ({ body: credential(ctx.base, await cr.get(ctx.accountSid, ctx.params.Sid)) }),
    },
    {
      method: 'POST',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => ({ body: credential(ctx.base, await cr.update(ctx.accountSid, ctx.params.Sid, input(ctx.body))) }),
    },
    {
      method: 'DELETE',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        await cr.delete(ctx.accountSid, ctx.params.Sid);
        return { status: 204 };
      },
    },
  ];
}

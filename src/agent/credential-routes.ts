import { notFound } from '../core/errors.ts';
import type { Ctx, Route } from '../http/context.ts';
import { Params } from '../http/params.ts';
import { invalidParameter } from '../core/errors.ts';
import { renderCredential, type AgentCredentials } from './credentials.ts';

const PATH = '/v1/Workspaces/:WorkspaceSid/Workers/:WorkerSid/Credentials';

/** Form (as Twilio's API) or a JSON object of strings: the same Params either way. */
function fields(ctx: Ctx): Params {
  if (ctx.json === undefined) return ctx.body;
  if (!ctx.json || typeof ctx.json !== 'object' || Array.isArray(ctx.json)) throw invalidParameter('The request body must be a form or a JSON object');
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(ctx.json as Record<string, unknown>)) {
    if (typeof v !== 'string') throw invalidParameter(`${k} must be a string`);
    out.append(k, v);
  }
  return new Params(out, 'post body');
}

/**
 * The administrator's side of agent sign-in, in Switchyard's own API (Basic auth, like every
 * other resource): set a worker's Username and Password, see whether it has one, revoke it. The
 * password is never returned, nor kept: only its salted hash is.
 */
export function credentialRoutes(credentials: AgentCredentials): Route[] {
  return [
    {
      method: 'POST',
      path: PATH,
      handler: async (ctx) => {
        const p = fields(ctx);
        const { WorkspaceSid: ws, WorkerSid: wk } = ctx.params;
        // The worker first: a request for another account's worker is 404 whatever its body.
        await credentials.worker(ctx.accountSid, ws, wk);
        const { row, created } = await credentials.set(ctx.accountSid, ws, wk, { username: p.string('Username'), password: p.string('Password') });
        return { status: created ? 201 : 200, body: renderCredential(row, ctx.base) };
      },
    },
    {
      method: 'GET',
      path: PATH,
      handler: async (ctx) => {
        const { WorkspaceSid: ws, WorkerSid: wk } = ctx.params;
        await credentials.worker(ctx.accountSid, ws, wk);
        const row = await credentials.get(ctx.accountSid, ws, wk);
        if (!row) throw notFound(`/v1/Workspaces/${ws}/Workers/${wk}/Credentials`);
        return { body: renderCredential(row, ctx.base) };
      },
    },
    {
      method: 'DELETE',
      path: PATH,
      handler: async (ctx) => {
        await credentials.revoke(ctx.accountSid, ctx.params.WorkspaceSid, ctx.params.WorkerSid);
        return { status: 204 };
      },
    },
  ];
}

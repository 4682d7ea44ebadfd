import { notFound } from '../core/errors.ts';
import type { Route } from '../http/context.ts';
import { renderCredential, type AgentCredentials } from './credentials.ts';
import { fields } from './fields.ts';

const PATH = '/v1/Workspaces/:WorkspaceSid/Workers/:WorkerSid/Credentials';

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

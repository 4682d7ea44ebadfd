import { RESERVATION_STATUSES } from '../../core/routing/lifecycle.ts';
import type { Ctx, Route } from '../../http/context.ts';
import { pageReply, pageRequest } from '../../http/page.ts';
import type { ReservationRow } from '../routing-model.ts';
import type { TaskRouter } from '../services.ts';
import * as render from './render.ts';

/** Reservations are reached through their task or through their worker: same resource, two paths. */
export function reservationRoutes(tr: TaskRouter): Route[] {
  const scopes = [
    { base: '/v1/Workspaces/:WorkspaceSid/Tasks/:TaskSid/Reservations', via: 'task' as const },
    { base: '/v1/Workspaces/:WorkspaceSid/Workers/:WorkerSid/Reservations', via: 'worker' as const },
  ];
  const scopeOf = (ctx: Ctx) => ({ taskSid: ctx.params.TaskSid, workerSid: ctx.params.WorkerSid });
  const reply = (ctx: Ctx, r: ReservationRow, via: 'task' | 'worker') => ({
    body: render.reservation(ctx.base, r, via),
    headers: { ETag: String(r.version) },
  });
  return scopes.flatMap(({ base, via }): Route[] => [
    {
      method: 'GET',
      path: base,
      handler: async (ctx) => {
        const page = pageRequest(ctx);
        const rows = await tr.reservations.list(
          ctx.accountSid,
          ctx.params.WorkspaceSid,
          scopeOf(ctx),
          { status: ctx.query.enum('ReservationStatus', RESERVATION_STATUSES), workerSid: via === 'task' ? ctx.query.sid('WorkerSid', 'WK') : undefined },
          page.pageSize + 1,
          page.offset,
        );
        return pageReply(ctx, 'reservations', rows.map((r) => render.reservation(ctx.base, r, via)), page);
      },
    },
    {
      method: 'GET',
      path: `${base}/:Sid`,
      handler: async (ctx) => reply(ctx, await tr.reservations.get(ctx.accountSid, ctx.params.WorkspaceSid, scopeOf(ctx), ctx.params.Sid), via),
    },
    {
      method: 'POST',
      path: `${base}/:Sid`,
      handler: async (ctx) => {
        const r = await tr.reservations.update(
          ctx.accountSid,
          ctx.params.WorkspaceSid,
          scopeOf(ctx),
          ctx.params.Sid,
          {
            reservationStatus: ctx.body.enum('ReservationStatus', RESERVATION_STATUSES),
            workerActivitySid: ctx.body.sid('WorkerActivitySid', 'WA'),
            instruction: ctx.body.string('Instruction'),
          },
          ctx.header('If-Match'),
        );
        return reply(ctx, r, via);
      },
    },
  ]);
}

import { gone, invalidParameter, notFound } from '../../core/errors.ts';
import { canRequestReservationStatus, type ReservationStatus } from '../../core/routing/lifecycle.ts';
import type { Executor } from '../../store/database.ts';
import type { Condition } from '../../store/table.ts';
import type { Engine } from '../engine/index.ts';
import { activities } from '../model.ts';
import { reservations, tasks, type ReservationRow } from '../routing-model.ts';
import { checkIfMatch, requireWorkspace, type Deps } from './deps.ts';

export interface ReservationUpdate {
  reservationStatus?: ReservationStatus;
  workerActivitySid?: string;
  instruction?: string;
}

/** Instructions that drive Programmable Voice: not something a messaging engine can carry out. */
export const VOICE_INSTRUCTIONS = ['conference', 'dequeue', 'call', 'redirect', 'supervise'];

/** Reservations, reached through their task or their worker. */
export class ReservationService {
  constructor(
    private readonly deps: Deps,
    private readonly engine: Engine,
  ) {}

  async list(
    accountSid: string,
    workspaceSid: string,
    scope: { taskSid?: string; workerSid?: string },
    filter: { status?: ReservationStatus; workerSid?: string },
    limit: number,
    offset: number,
  ): Promise<ReservationRow[]> {
    const db = this.deps.db;
    await requireWorkspace(db, accountSid, workspaceSid);
    await this.requireScope(db, workspaceSid, scope);
    const where: Condition[] = [['workspace_sid = ?', workspaceSid]];
    if (scope.taskSid) where.push(['task_sid = ?', scope.taskSid]);
    if (scope.workerSid) where.push(['worker_sid = ?', scope.workerSid]);
    if (filter.workerSid) where.push(['worker_sid = ?', filter.workerSid]);
    if (filter.status) where.push(['reservation_status = ?', filter.status]);
    return reservations.list(db, { where, limit, offset });
  }

  private async requireScope(db: Executor, workspaceSid: string, scope: { taskSid?: string; workerSid?: string }) {
    if (scope.taskSid && !(await db.get('SELECT sid FROM tasks WHERE sid = ? AND workspace_sid = ?', [scope.taskSid, workspaceSid])))
      throw notFound(`/v1/Workspaces/${workspaceSid}/Tasks/${scope.taskSid}`);
    if (scope.workerSid && !(await db.get('SELECT sid FROM workers WHERE sid = ? AND workspace_sid = ?', [scope.workerSid, workspaceSid])))
      throw notFound(`/v1/Workspaces/${workspaceSid}/Workers/${scope.workerSid}`);
  }

  async get(accountSid: string, workspaceSid: string, scope: { taskSid?: string; workerSid?: string }, sid: string, db: Executor = this.deps.db) {
    await requireWorkspace(db, accountSid, workspaceSid);
    const row = await reservations.get(db, sid, ['workspace_sid = ?', workspaceSid]);
    const inScope = row && (!scope.taskSid || row.task_sid === scope.taskSid) && (!scope.workerSid || row.worker_sid === scope.workerSid);
    if (!inScope) {
      const parent = scope.taskSid ? `Tasks/${scope.taskSid}` : `Workers/${scope.workerSid}`;
      throw notFound(`/v1/Workspaces/${workspaceSid}/${parent}/Reservations/${sid}`);
    }
    return row;
  }

  async update(
    accountSid: string,
    workspaceSid: string,
    scope: { taskSid?: string; workerSid?: string },
    sid: string,
    input: ReservationUpdate,
    ifMatch?: string,
  ): Promise<ReservationRow> {
    if (input.instruction !== undefined) {
      const i = input.instruction.toLowerCase();
      if (VOICE_INSTRUCTIONS.includes(i))
        throw invalidParameter(`Instruction '${input.instruction}' drives a voice call and is not supported by Switchyard; use ReservationStatus`);
      if (i === 'accept') input.reservationStatus ??= 'accepted';
      else if (i === 'reject') input.reservationStatus ??= 'rejected';
      else throw invalidParameter(`Invalid Instruction: '${input.instruction}'`);
    }
    return this.engine.inWorkspace(accountSid, workspaceSid, async (tx, ws) => {
      const res = await this.get(accountSid, workspaceSid, scope, sid, tx);
      checkIfMatch(res.version, ifMatch);
      if (input.workerActivitySid !== undefined && !(await activities.get(tx, input.workerActivitySid, ['workspace_sid = ?', workspaceSid])))
        throw invalidParameter(`Invalid WorkerActivitySid: Activity ${input.workerActivitySid} is not in this Workspace`);
      const to = input.reservationStatus;
      if (to === undefined || to === res.reservation_status) return res;
      if (!canRequestReservationStatus(res.reservation_status, to))
        throw illegalMove(res.reservation_status, to);
      const lifecycle = this.engine.lifecycle;
      if (to === 'accepted') return lifecycle.accept(tx, ws, res);
      if (to === 'rejected') return lifecycle.end(tx, ws, res, 'rejected', { reroute: true, workerActivitySid: input.workerActivitySid });
      if (to !== 'wrapping' && to !== 'completed') throw illegalMove(res.reservation_status, to); // the only moves left
      const task = (await tasks.get(tx, res.task_sid))!;
      if (task.assignment_status === 'reserved')
        throw invalidParameter(`Task ${task.sid} is being transferred: cancel the transfer before wrapping up or completing Reservation ${sid}`);
      // Another worker holds the task too (a warm transfer): this reservation ends alone.
      if (await reservations.count(tx, ['task_sid = ?', task.sid], ['sid <> ?', sid], ["reservation_status IN ('accepted', 'wrapping')"]))
        return to === 'wrapping' ? lifecycle.wrapReservation(tx, ws, res, task) : lifecycle.completeReservation(tx, ws, res, task);
      await lifecycle.endTask(tx, ws, task, to, null);
      return (await reservations.get(tx, res.sid))!;
    });
  }
}

/** A reservation that is over (rescinded, timed out...) is gone for good: 410; other bad moves are 400. */
function illegalMove(from: ReservationStatus, to: ReservationStatus) {
  const message = `A Reservation cannot move from ${from} to ${to}`;
  return ['rejected', 'timeout', 'canceled', 'rescinded', 'completed'].includes(from) ? gone(message) : invalidParameter(message);
}

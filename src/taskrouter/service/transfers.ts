import { forbidden, invalidParameter, notFound } from '../../core/errors.ts';
import { taskQueues, workers } from '../model.ts';
import { reservations, tasks, transfers, type TransferRow } from '../routing-model.ts';
import type { Deps } from './deps.ts';

export interface TransferInput {
  taskSid: string;
  reservationSid: string;
  to: string;
  mode?: string;
  attributes?: string;
  priority?: number;
}

/**
 * Task transfers as the worker SDK asks for them (its v2 Transfers routes through the event
 * bridge): a worker transfers a task it holds, and may cancel its transfer while it is initiated.
 * The engine (engine/transfers.ts) does the rest.
 */
export class TransferService {
  constructor(private readonly deps: Deps) {}

  async create(accountSid: string, workspaceSid: string, workerSid: string, input: TransferInput): Promise<TransferRow> {
    const mode = (input.mode ?? 'WARM').toUpperCase();
    if (mode !== 'WARM' && mode !== 'COLD') throw invalidParameter(`Invalid Mode: '${input.mode}' (WARM or COLD)`);
    return this.deps.engine.inWorkspace(accountSid, workspaceSid, async (tx, ws) => {
      const task = await tasks.get(tx, input.taskSid, ['workspace_sid = ?', workspaceSid]);
      if (!task) throw notFound(`/v1/Workspaces/${workspaceSid}/Tasks/${input.taskSid}`);
      const res = await reservations.get(tx, input.reservationSid, ['workspace_sid = ?', workspaceSid]);
      if (!res) throw notFound(`/v1/Workspaces/${workspaceSid}/Workers/${workerSid}/Reservations/${input.reservationSid}`);
      if (res.worker_sid !== workerSid) throw forbidden(`Reservation ${res.sid} is not a Reservation of Worker ${workerSid}`);
      if (res.task_sid !== task.sid) throw invalidParameter(`Reservation ${res.sid} is not a Reservation of Task ${task.sid}`);
      const engine = this.deps.engine.lifecycle.transfers;
      const notAccepted = () =>
        invalidParameter(`Only an accepted Reservation of an assigned Task can be transferred (Reservation ${res.sid} is ${res.reservation_status}, Task ${task.sid} is ${task.assignment_status})`);
      if (res.reservation_status !== 'accepted') throw notAccepted();
      const current = await engine.inFlight(tx, task.sid);
      if (current) throw invalidParameter(`Task ${task.sid} is already being transferred (${current.sid})`);
      if (task.assignment_status !== 'assigned') throw notAccepted();
      let type: TransferRow['transfer_type'];
      if (input.to.startsWith('WK')) {
        if (input.to === workerSid) throw invalidParameter('Invalid To: a Worker cannot transfer a Task to itself');
        if (!(await workers.get(tx, input.to, ['workspace_sid = ?', workspaceSid]))) throw invalidParameter(`Invalid To: Worker ${input.to} is not in this Workspace`);
        type = 'WORKER';
      } else if (input.to.startsWith('WQ')) {
        if (!(await taskQueues.get(tx, input.to, ['workspace_sid = ?', workspaceSid]))) throw invalidParameter(`Invalid To: TaskQueue ${input.to} is not in this Workspace`);
        type = 'QUEUE';
      } else {
        throw invalidParameter(`Invalid To: '${input.to}' is neither a Worker (WK...) nor a TaskQueue (WQ...) SID`);
      }
      return engine.initiate(tx, ws, task, res, { to: input.to, type, mode, attributes: input.attributes, priority: input.priority });
    });
  }

  /** Cancels an initiated transfer: the only change a worker may make to one (TransferStatus=canceled). */
  async cancel(accountSid: string, workspaceSid: string, workerSid: string, sid: string, input: { taskSid?: string; status?: string }): Promise<TransferRow> {
    if (input.status !== 'canceled') throw invalidParameter(`Invalid TransferStatus: '${input.status ?? ''}' (a Transfer can only be canceled)`);
    return this.deps.engine.inWorkspace(accountSid, workspaceSid, async (tx, ws) => {
      const transfer = await transfers.get(tx, sid, ['workspace_sid = ?', workspaceSid]);
      if (!transfer) throw notFound(`/v2/Workspaces/${workspaceSid}/Workers/${workerSid}/Transfers/${sid}`);
      if (transfer.initiating_worker_sid !== workerSid) throw forbidden(`Transfer ${sid} was not initiated by Worker ${workerSid}`);
      if (input.taskSid !== undefined && input.taskSid !== transfer.task_sid) throw invalidParameter(`Transfer ${sid} is not a Transfer of Task ${input.taskSid}`);
      // Twilio's own wording, which callers match on.
      if (transfer.transfer_status !== 'initiated') throw invalidParameter(`Transfer ${sid} is already ${transfer.transfer_status} . Cannot cancel transfer.`);
      return this.deps.engine.lifecycle.transfers.cancel(tx, ws, transfer);
    });
  }

  async get(workspaceSid: string, sid: string): Promise<TransferRow | undefined> {
    return transfers.get(this.deps.db, sid, ['workspace_sid = ?', workspaceSid]);
  }
}

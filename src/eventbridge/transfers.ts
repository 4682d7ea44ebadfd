import { attributes } from '../taskrouter/http/validate.ts';
import type { TaskRouter } from '../taskrouter/services.ts';
import type { Call } from './call.ts';
import type { Views } from './views.ts';

/**
 * The SDK's transfer routes (apiVersion v2): task.transfer(to, {mode, attributes, priority}) is
 * POST Workers/{me}/Transfers {ReservationSid, TaskSid, To, Mode, Attributes, Priority};
 * outgoingTransfer.cancel() is POST Workers/{me}/Transfers/{TT} {TaskSid, TransferStatus=canceled}.
 * Both answer the transfer in the event-bridge representation.
 */
export class TransferRoutes {
  constructor(
    private readonly tr: TaskRouter,
    private readonly views: Views,
  ) {}

  async create(c: Call, workerSid: string) {
    const p = c.params;
    const t = await this.tr.transfers.create(c.session.accountSid, c.session.workspaceSid, workerSid, {
      taskSid: p.sid('TaskSid', 'WT', { required: true })!,
      reservationSid: p.sid('ReservationSid', 'WR', { required: true })!,
      to: p.required('To', { maxLength: 34 }),
      mode: p.string('Mode'),
      attributes: attributes(p),
      priority: p.int('Priority', { min: 0, max: 2_147_483_647 }),
    });
    return this.views.transfer(t);
  }

  async update(c: Call, workerSid: string, sid: string) {
    const p = c.params;
    const t = await this.tr.transfers.cancel(c.session.accountSid, c.session.workspaceSid, workerSid, sid, {
      taskSid: p.sid('TaskSid', 'WT'),
      status: p.string('TransferStatus'),
    });
    return this.views.transfer(t);
  }
}

import { isoDate } from '../../core/clock.ts';
import { messagingBinding } from '../../conversations/http/render.ts';
import type { TaskRow } from '../../taskrouter/routing-model.ts';
import type { ChannelRow, InteractionRow, InviteRow, TransferRow } from '../model.ts';
import type { ParticipantView } from '../service/participants.ts';

/** Flex's JSON for each resource. Tasks inside `routing` are shown as Flex shows them: epoch-second dates. */

export interface TaskNames {
  queue: string | null;
  workflow: string | null;
}

const seconds = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000));

export function taskProperties(t: TaskRow, names: TaskNames, now: number) {
  return {
    date_updated: seconds(t.date_updated),
    task_queue_entered_date: seconds(t.task_queue_entered_date),
    workflow_name: names.workflow,
    age_in_queue: t.task_queue_entered_date === null ? 0 : Math.max(0, Math.floor((now - t.task_queue_entered_date) / 1000)),
    task_channel_unique_name: t.task_channel_unique_name,
    assignment_status: t.assignment_status,
    queue_name: names.queue,
    assignmentCounter: t.assignment_count,
    priority: t.priority,
    sid: t.sid,
    workflow_sid: t.workflow_sid,
    routing_target: t.routing_target,
    reason: t.reason ?? '',
    attributes: t.attributes,
    task_channel_sid: t.task_channel_sid,
    age: Math.max(0, Math.floor((now - t.date_created) / 1000)),
    workspace_sid: t.workspace_sid,
    account_sid: t.account_sid,
    timeout: t.timeout,
    date_created: seconds(t.date_created),
    addons: t.addons,
    queue_sid: t.task_queue_sid,
  };
}

export type RenderedTask = ReturnType<typeof taskProperties>;

const routing = (task: RenderedTask | null) => (task ? { reservation: null, properties: task } : null);

export function interaction(base: string, i: InteractionRow, c: ChannelRow, task: RenderedTask | null) {
  const url = `${base}/v1/Interactions/${i.sid}`;
  return {
    sid: i.sid,
    channel: { type: c.type, sid: c.sid },
    routing: routing(task),
    interaction_context_sid: i.interaction_context_sid,
    webhook_ttid: i.webhook_ttid,
    url,
    links: { channels: `${url}/Channels` },
  };
}

export function channel(base: string, c: ChannelRow) {
  const url = `${base}/v1/Interactions/${c.interaction_sid}/Channels/${c.sid}`;
  return {
    sid: c.sid,
    interaction_sid: c.interaction_sid,
    type: c.type,
    status: c.status,
    error_code: c.error_code === null ? null : Number(c.error_code),
    error_message: c.error_message,
    url,
    links: { participants: `${url}/Participants`, invites: `${url}/Invites`, transfers: `${url}/Transfers` },
  };
}

export function invite(base: string, i: InviteRow, task: RenderedTask | null) {
  return {
    sid: i.sid,
    interaction_sid: i.interaction_sid,
    channel_sid: i.channel_sid,
    routing: routing(task),
    url: `${base}/v1/Interactions/${i.interaction_sid}/Channels/${i.channel_sid}/Invites/${i.sid}`,
  };
}

/**
 * `media_properties` is not in Twilio's spec, but Flex UI hands it to plugins: the conversation
 * participant standing for this one (`sid` null once they are out of the conversation).
 */
export function participant(base: string, v: ParticipantView) {
  const p = v.participant;
  const m = v.member;
  const stored = p.media_properties === null ? {} : (JSON.parse(p.media_properties) as { identity?: unknown });
  return {
    sid: p.sid,
    type: p.type,
    interaction_sid: p.interaction_sid,
    channel_sid: p.channel_sid,
    routing_properties: p.routing_properties === null ? null : JSON.parse(p.routing_properties),
    media_properties: {
      conversation_sid: v.conversationSid,
      sid: m?.sid ?? null,
      identity: m ? m.identity : typeof stored.identity === 'string' ? stored.identity : null,
      messaging_binding: m ? messagingBinding(m) : null,
    },
    url: `${base}/v1/Interactions/${p.interaction_sid}/Channels/${p.channel_sid}/Participants/${p.sid}`,
  };
}

export function transfer(base: string, t: TransferRow) {
  return {
    sid: t.sid,
    instance_sid: null,
    account_sid: t.account_sid,
    interaction_sid: t.interaction_sid,
    channel_sid: t.channel_sid,
    execution_sid: null,
    type: t.type,
    status: t.status,
    from: t.from_participant,
    to: t.to_target,
    note_sid: null,
    summary_sid: null,
    date_created: isoDate(Number(t.date_created)),
    date_updated: isoDate(Number(t.date_updated)),
    url: `${base}/v1/Interactions/${t.interaction_sid}/Channels/${t.channel_sid}/Transfers/${t.sid}`,
  };
}

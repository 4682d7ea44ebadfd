import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import twilio from 'twilio';
import { backends, startReceiver, startServer, type Receiver, type TestServer } from '../support/server.ts';
import { inbound } from './conversations-helpers.ts';
import { customerConversation, members, recordingClient, routedTask } from './flex-helpers.ts';
import { makeWorkspace, type Fixture } from './routing-helpers.ts';

/**
 * The Flex plugin flows of twilio-professional-services/flex-project-template (park-interaction,
 * conversation-transfer), driven as the plugin and its serverless functions drive Twilio: the same
 * calls through the official `twilio` client, with the same parameter shapes, reading what they read.
 * Flex UI's part (task.getParticipants, the agent accepting) is done the way Flex UI does it.
 */

type Client = TestServer['client'];

interface PluginFixture extends Fixture {
  everyone: string;
  /** The workflow interactions are created with. */
  mainWorkflow: string;
  /** The template's "Chat Transfer" workflow (its example-taskrouter-workflow.json). */
  transferWorkflow: string;
  agents: Record<'alice' | 'bob' | 'carol', string>;
  available(name: keyof PluginFixture['agents'], yes: boolean): Promise<void>;
}

/** A multitasking workspace as the template expects it: queue Everyone, the main workflow, the transfer workflow, three agents (offline). */
async function pluginWorkspace(t: TestServer): Promise<PluginFixture> {
  const f = await makeWorkspace(t, { multiTaskEnabled: true });
  const everyone = (await f.queue('Everyone')).sid;
  const mainWorkflow = (await f.workflow({ filters: [], default_filter: { queue: everyone } })).sid;
  const transferWorkflow = (
    await f.workflow({
      filters: [
        { filter_friendly_name: 'Assign to Worker', expression: "transferTargetType == 'worker'", targets: [{ queue: everyone, known_worker_sid: 'task.transferTargetSid' }] },
        {
          filter_friendly_name: 'Assign to Queue - Everyone',
          expression: "transferQueueName == 'Everyone'",
          targets: [{ queue: everyone, expression: 'worker.sid NOT IN task.workerSidsInConversation' }],
        },
      ],
    })
  ).sid;
  const agents = {} as PluginFixture['agents'];
  for (const name of ['alice', 'bob', 'carol'] as const)
    agents[name] = (await f.worker(name, { contact_uri: `client:${name}`, full_name: name }, { activitySid: f.act.offline, capacity: { chat: 2, sms: 2 } })).sid;
  return {
    ...f,
    everyone,
    mainWorkflow,
    transferWorkflow,
    agents,
    async available(name, yes) {
      await f.w.workers(agents[name]).update({ activitySid: yes ? f.act.available : f.act.offline });
    },
  };
}

/** The agent accepts the offer, as Flex UI does through the worker SDK. */
async function accept(f: PluginFixture, taskSid: string, name: keyof PluginFixture['agents']) {
  const [offer] = await f.pending(taskSid);
  assert.equal(offer?.workerSid, f.agents[name], `offered to ${name}`);
  await f.w.tasks(taskSid).reservations(offer.sid).update({ reservationStatus: 'accepted' });
}

/** The parts of Flex UI's ITask the plugins read, from TaskRouter. */
async function flexTask(f: PluginFixture, taskSid: string) {
  const task = await f.w.tasks(taskSid).fetch();
  return {
    taskSid: task.sid,
    workflowSid: task.workflowSid,
    queueName: task.taskQueueFriendlyName,
    queueSid: task.taskQueueSid,
    taskChannelUniqueName: task.taskChannelUniqueName,
    attributes: JSON.parse(task.attributes) as Record<string, any>,
  };
}
type FlexTask = Awaited<ReturnType<typeof flexTask>>;

const camel = (v: unknown): any =>
  Array.isArray(v)
    ? v.map(camel)
    : v && typeof v === 'object'
      ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), camel(x)]))
      : v;

/**
 * Flex UI's task.getParticipants(channelSid): the Interactions participants list, each participant
 * camelCased with its sid as participantSid and the list's channel_type as channelType.
 */
async function getParticipants(t: TestServer, task: FlexTask) {
  const rc = recordingClient(t);
  await rc.client.flexApi.v1.interaction(task.attributes.flexInteractionSid).channels(task.attributes.flexInteractionChannelSid).participants.list();
  const page = rc.last().body as { channel_type: string; participants: Record<string, unknown>[] };
  return page.participants.map((p) => ({
    participantSid: p.sid as string,
    type: p.type as string,
    interactionSid: p.interaction_sid as string,
    channelSid: p.channel_sid as string,
    channelType: page.channel_type,
    mediaProperties: camel(p.media_properties),
    routingProperties: camel(p.routing_properties),
  }));
}

// ---- park-interaction ------------------------------------------------------------------------

const UNPARK_PATH = '/features/park-interaction/common/unpark-interaction';

/** serverless-functions/…/park-interaction/flex/park-interaction.js */
async function parkInteractionFunction(client: Client, domain: string, e: Record<string, string>) {
  const webhook = await client.conversations.v1.conversations(e.conversationSid).webhooks.create({
    'configuration.method': 'POST' as 'post', // the function (plain JS) sends it in capitals
    'configuration.filters': ['onMessageAdded'],
    'configuration.url': `${domain}${UNPARK_PATH}`,
    target: 'webhook',
  });
  await client.flexApi.v1.interaction(e.interactionSid).channels(e.channelSid).participants(e.participantSid).update({ status: 'closed' });
  const { channelSid, interactionSid, participantSid, taskSid, workflowSid, taskChannelUniqueName, queueName, queueSid, workerSid, taskAttributes } = e;
  const attributes = { interactionSid, channelSid, participantSid, taskSid, workflowSid, taskChannelUniqueName, queueName, queueSid, workerSid, taskAttributes, webhookSid: webhook.sid };
  await client.conversations.v1.conversations(e.conversationSid).update({ attributes: JSON.stringify(attributes) });
  return webhook;
}

/** plugin …/park-interaction/actions/ParkInteraction.ts: the first agent of task.getParticipants() is "the agent". */
async function parkAction(t: TestServer, f: PluginFixture, task: FlexTask, workerSid: string, domain: string) {
  const agent = (await getParticipants(t, task)).find((p) => p.type === 'agent');
  assert.ok(agent, 'an agent on the channel');
  assert.match(agent.mediaProperties?.conversationSid ?? 'undefined', /^CH[0-9a-f]{32}$/, 'the plugin reads the conversation from mediaProperties');
  return parkInteractionFunction(t.client, domain, {
    channelSid: agent.channelSid,
    interactionSid: agent.interactionSid,
    participantSid: agent.participantSid,
    conversationSid: agent.mediaProperties.conversationSid,
    channelType: agent.channelType,
    taskSid: task.taskSid,
    workflowSid: task.workflowSid,
    taskChannelUniqueName: task.taskChannelUniqueName,
    queueName: task.queueName,
    queueSid: task.queueSid,
    taskAttributes: JSON.stringify(task.attributes),
    workerSid,
  });
}

/** serverless-functions/…/park-interaction/common/unpark-operations.private.js */
async function unparkInteraction(client: Client, workspaceSid: string, conversationSid: string, webhookSid: string, routeToSameWorker: boolean) {
  await client.conversations.v1.conversations(conversationSid).webhooks(webhookSid).remove();
  const conversation = await client.conversations.v1.conversations(conversationSid).fetch();
  const { interactionSid, channelSid, taskAttributes, taskChannelUniqueName, queueName, queueSid, workerSid, workflowSid } = JSON.parse(conversation.attributes);
  const additionalProperties: Record<string, string> = {};
  if (routeToSameWorker) {
    additionalProperties.queue_sid = queueSid;
    additionalProperties.worker_sid = workerSid;
  }
  return client.flexApi.v1
    .interaction(interactionSid)
    .channels(channelSid)
    .invites.create({
      routing: {
        properties: {
          workspace_sid: workspaceSid,
          workflow_sid: workflowSid,
          ...additionalProperties,
          task_channel_unique_name: taskChannelUniqueName,
          attributes: { ...JSON.parse(taskAttributes), originalRouting: { queueName, queueSid, workerSid } },
        },
      },
    });
}

// ---- conversation-transfer -------------------------------------------------------------------

/** plugin …/conversation-transfer/helpers/APIHelper.ts buildInviteParticipantAPIPayload */
async function buildInviteParticipantAPIPayload(t: TestServer, f: PluginFixture, task: FlexTask, targetSid: string, removeInvitingAgent: boolean, myIdentity: string) {
  const transferQueueName = targetSid.startsWith('WQ') ? (await f.w.taskQueues(targetSid).fetch()).friendlyName : '';
  const transferWorkerName = targetSid.startsWith('WK') ? (await f.w.workers(targetSid).fetch()).friendlyName : '';
  const participants = await getParticipants(t, task);
  const workerSidsInConversation = participants.filter((p) => p.type === 'agent' && p.routingProperties?.workerSid).map((p) => p.routingProperties.workerSid as string);
  const me = participants.find((p) => p.mediaProperties?.identity === myIdentity);
  if (removeInvitingAgent) assert.ok(me, `${myIdentity} found by mediaProperties.identity`);
  return {
    taskSid: task.taskSid,
    conversationId: task.attributes.conversations?.conversation_id || task.taskSid,
    conversationSid: task.attributes.conversationSid as string,
    jsonAttributes: JSON.stringify(task.attributes),
    transferTargetSid: targetSid,
    transferQueueName,
    transferWorkerName,
    workersToIgnore: JSON.stringify({ workerSidsInConversation }),
    flexInteractionSid: task.attributes.flexInteractionSid as string,
    flexInteractionChannelSid: task.attributes.flexInteractionChannelSid as string,
    removeFlexInteractionParticipantSid: removeInvitingAgent ? me!.participantSid : '',
  };
}

/** serverless-functions/…/conversation-transfer/flex/invite-participant.js */
async function inviteParticipant(client: Client, f: PluginFixture, e: Awaited<ReturnType<typeof buildInviteParticipantAPIPayload>>) {
  const original = JSON.parse(e.jsonAttributes);
  const routing = {
    properties: {
      task_channel_unique_name: 'chat',
      workspace_sid: f.wsSid,
      workflow_sid: f.transferWorkflow,
      attributes: {
        ...original,
        ...JSON.parse(e.workersToIgnore),
        transferTargetSid: e.transferTargetSid,
        transferQueueName: e.transferQueueName,
        transferTargetType: e.transferTargetSid.startsWith('WK') ? 'worker' : 'queue',
        conversations: { ...original.conversations, conversation_id: e.conversationId },
      },
    },
  };
  const invite = await client.flexApi.v1.interaction(e.flexInteractionSid).channels(e.flexInteractionChannelSid).invites.create({ routing });
  const invitesTaskSid = (invite.routing as { properties: { sid: string } }).properties.sid;
  if (e.removeFlexInteractionParticipantSid) {
    await client.flexApi.v1
      .interaction(e.flexInteractionSid)
      .channels(e.flexInteractionChannelSid)
      .participants(e.removeFlexInteractionParticipantSid)
      .update({ status: 'closed' });
  } else {
    const conversation = await client.conversations.v1.conversations(e.conversationSid).fetch();
    const current = JSON.parse(conversation.attributes);
    const inviteTargetType = e.transferTargetSid.startsWith('WK') ? 'Worker' : 'Queue';
    const entry = { invitesTaskSid, targetSid: e.transferTargetSid, timestampCreated: new Date(), targetName: inviteTargetType === 'Queue' ? e.transferQueueName : e.transferWorkerName, inviteTargetType };
    await client.conversations.v1.conversations(e.conversationSid).update({ attributes: JSON.stringify({ ...current, invites: { ...current.invites, [invitesTaskSid]: entry } }) });
  }
  return { participantInviteSid: invite.sid, invitesTaskSid };
}

/** serverless-functions/…/conversation-transfer/flex/remove-participant.js */
async function removeParticipant(client: Client, e: { flexInteractionSid: string; flexInteractionChannelSid: string; flexInteractionParticipantSid: string; conversationSid: string }) {
  await client.flexApi.v1.interaction(e.flexInteractionSid).channels(e.flexInteractionChannelSid).participants(e.flexInteractionParticipantSid).update({ status: 'closed' });
  const participants = await client.conversations.v1.conversations(e.conversationSid).participants.list({ limit: 100 });
  if (participants.length <= 1) {
    const conversation = await client.conversations.v1.conversations(e.conversationSid).fetch();
    const invites = JSON.parse(conversation.attributes).invites ?? {};
    if (Object.keys(invites).length < 1) await client.flexApi.v1.interaction(e.flexInteractionSid).channels(e.flexInteractionChannelSid).update({ status: 'closed' });
  }
}

/** plugin LeaveChat (and CompleteTask): buildRemoveMyPartiticipantAPIPayload, then remove-participant. */
async function leaveChat(t: TestServer, task: FlexTask, myIdentity: string) {
  const me = (await getParticipants(t, task)).find((p) => p.mediaProperties?.identity === myIdentity);
  assert.ok(me, `${myIdentity} is on the channel`);
  await removeParticipant(t.client, {
    flexInteractionSid: task.attributes.flexInteractionSid,
    flexInteractionChannelSid: task.attributes.flexInteractionChannelSid,
    flexInteractionParticipantSid: me.participantSid,
    conversationSid: task.attributes.conversationSid,
  });
}

/** plugin inviteTracker removeInvitedParticipant (on cancel, and when the invited agent joins). */
async function removeInvitedParticipant(client: Client, conversationSid: string, taskSid: string) {
  const current = JSON.parse((await client.conversations.v1.conversations(conversationSid).fetch()).attributes);
  const invites = { ...(current.invites ?? {}) };
  delete invites[taskSid];
  await client.conversations.v1.conversations(conversationSid).update({ attributes: JSON.stringify({ ...current, invites }) });
}

// ---- checks through the REST API -------------------------------------------------------------

async function agentsOnChannel(t: TestServer, task: FlexTask) {
  return (await getParticipants(t, task)).filter((p) => p.type === 'agent').map((p) => p.routingProperties?.workerSid);
}
const conversationState = async (t: TestServer, sid: string) => (await t.client.conversations.v1.conversations(sid).fetch()).state;
const channelStatus = async (t: TestServer, task: FlexTask) =>
  (await t.client.flexApi.v1.interaction(task.attributes.flexInteractionSid).channels(task.attributes.flexInteractionChannelSid).fetch()).status;
async function channelLoad(f: PluginFixture, worker: string, channel: string) {
  const c = (await f.w.workers(worker).workerChannels.list()).find((x) => x.taskChannelUniqueName === channel)!;
  return { assigned: c.assignedTasks, free: c.availableCapacityPercentage };
}

const PROXY = '+15550009999';
const CUSTOMER = '+15551112222';

for (const backend of backends()) {
  describe(`flex plugin flows: park and resume (${backend.name})`, () => {
    let t: TestServer;
    let rx: Receiver;
    before(async () => {
      rx = await startReceiver();
      t = await startServer(backend);
    });
    after(async () => {
      await t.close();
      await rx.close();
    });

    test('the agent parks; the customer writes; the signed webhook unparks back to the same agent; parked again, through the workflow', async () => {
      const f = await pluginWorkspace(t);
      const cv = t.client.conversations.v1;
      await f.available('alice', true);
      await cv.addressConfigurations.create({ type: 'sms', address: PROXY, 'autoCreation.enabled': true });
      await inbound(t, { From: CUSTOMER, To: PROXY, Body: 'Where is my order?' });
      await t.server.conversationDeliveries.flush(); // what a running server does at once (timers are manual here)
      const conversationSid = (await cv.participantConversations.list({ address: CUSTOMER }))[0].conversationSid;
      const created = await t.client.flexApi.v1.interaction.create({
        channel: { type: 'sms', initiated_by: 'customer', properties: { media_channel_sid: conversationSid } },
        routing: { properties: { workspace_sid: f.wsSid, workflow_sid: f.mainWorkflow, task_channel_unique_name: 'sms', attributes: { customerName: 'Ada' } } },
      });
      const first = routedTask(created.routing).sid as string;
      await accept(f, first, 'alice');
      await f.available('bob', true); // bob is free too: the resume must still go to alice
      assert.deepEqual(await members(t, conversationSid), [CUSTOMER, 'alice']);

      // alice parks.
      const task1 = await flexTask(f, first);
      const webhook = await parkAction(t, f, task1, f.agents.alice, rx.url);
      assert.deepEqual((await cv.conversations(conversationSid).webhooks.list()).map((w) => [w.sid, w.target, (w.configuration as { filters: string[] }).filters]), [
        [webhook.sid, 'webhook', ['onMessageAdded']],
      ]);
      assert.deepEqual(await members(t, conversationSid), [CUSTOMER], 'alice left the conversation');
      assert.equal(await conversationState(t, conversationSid), 'active');
      assert.equal(await channelStatus(t, task1), 'active');
      assert.equal(await f.status(first), 'completed');
      assert.deepEqual(await channelLoad(f, f.agents.alice, 'sms'), { assigned: 0, free: 100 }, 'capacity freed');
      assert.deepEqual(await agentsOnChannel(t, task1), []);
      assert.equal(JSON.parse((await cv.conversations(conversationSid).fetch()).attributes).webhookSid, webhook.sid);

      // The customer writes again: the conversation-scoped webhook fires, signed.
      await inbound(t, { From: CUSTOMER, To: PROXY, Body: 'Any news?', MessageSid: 'SM' + '2'.repeat(32) });
      await t.server.conversationDeliveries.flush();
      const hook = await rx.next();
      assert.equal(new URL(hook.url).pathname, UNPARK_PATH);
      assert.ok(twilio.validateRequest(t.account.authToken, String(hook.headers['x-twilio-signature']), hook.url, hook.params), 'signed');
      assert.equal(hook.params.EventType, 'onMessageAdded');
      assert.equal(hook.params.Body, 'Any news?');
      assert.equal(hook.params.WebhookSid, webhook.sid);

      // The function deletes the webhook and invites alice back (queue_sid + worker_sid).
      const invite = await unparkInteraction(t.client, f.wsSid, hook.params.ConversationSid, hook.params.WebhookSid, true);
      assert.deepEqual(await cv.conversations(conversationSid).webhooks.list(), []);
      const second = routedTask(invite.routing);
      assert.equal(second.task_channel_unique_name, 'sms');
      assert.deepEqual(second.attrs.originalRouting, { queueName: 'Everyone', queueSid: f.everyone, workerSid: f.agents.alice });
      assert.equal(second.attrs.customerName, 'Ada');
      assert.deepEqual((await f.reservations(second.sid)).map((r) => r.workerSid), [f.agents.alice], 'offered to alice only');
      await accept(f, second.sid, 'alice');
      assert.deepEqual(await members(t, conversationSid), [CUSTOMER, 'alice']);
      const task2 = await flexTask(f, second.sid);
      assert.deepEqual(await agentsOnChannel(t, task2), [f.agents.alice]);

      // Parked a second time: "the agent" is alice's current participant, not the closed one.
      const again = await parkAction(t, f, task2, f.agents.alice, rx.url);
      assert.equal(await f.status(second.sid), 'completed');
      assert.deepEqual(await members(t, conversationSid), [CUSTOMER]);
      assert.equal(await channelStatus(t, task2), 'active');

      // This time the function routes through the workflow; alice has gone home, so bob gets it.
      await f.available('alice', false);
      await inbound(t, { From: CUSTOMER, To: PROXY, Body: 'Hello?', MessageSid: 'SM' + '3'.repeat(32) });
      await t.server.conversationDeliveries.flush();
      const hook2 = await rx.next();
      assert.equal(hook2.params.WebhookSid, again.sid);
      const third = routedTask((await unparkInteraction(t.client, f.wsSid, conversationSid, again.sid, false)).routing);
      assert.equal(third.routing_target, null);
      await accept(f, third.sid, 'bob');
      assert.deepEqual(await members(t, conversationSid), [CUSTOMER, 'bob']);
      assert.deepEqual(await agentsOnChannel(t, await flexTask(f, third.sid)), [f.agents.bob]);
      assert.equal(rx.requests.length, 2, 'each deleted webhook fired once');
    });
  });

  describe(`flex plugin flows: chat transfer (${backend.name})`, () => {
    let t: TestServer;
    before(async () => {
      t = await startServer(backend);
    });
    after(() => t.close());

    test('cold to a worker, warm to a queue that skips the agents already in it, an invite canceled, the last agent leaving closes the channel', async () => {
      const f = await pluginWorkspace(t);
      const cv = t.client.conversations.v1;
      await f.available('alice', true);
      const { conversationSid } = await customerConversation(t, { identity: 'guest-ada', name: 'Ada' });
      const created = await t.client.flexApi.v1.interaction.create({
        channel: { type: 'web', initiated_by: 'customer', properties: { media_channel_sid: conversationSid } },
        routing: { properties: { workspace_sid: f.wsSid, workflow_sid: f.mainWorkflow, task_channel_unique_name: 'chat' } },
      });
      const first = routedTask(created.routing).sid as string;
      await accept(f, first, 'alice');
      const aliceTask = await flexTask(f, first);

      // Cold: alice transfers to bob; her participant is closed at once, the chat stays open for bob.
      await f.available('bob', true);
      const cold = await buildInviteParticipantAPIPayload(t, f, aliceTask, f.agents.bob, true, 'alice');
      assert.deepEqual(JSON.parse(cold.workersToIgnore), { workerSidsInConversation: [f.agents.alice] });
      const toBob = await inviteParticipant(t.client, f, cold);
      assert.match(toBob.participantInviteSid, /^KG[0-9a-f]{32}$/);
      assert.equal(await f.status(first), 'completed');
      assert.deepEqual(await members(t, conversationSid), ['guest-ada']);
      assert.equal(await conversationState(t, conversationSid), 'active');
      assert.equal(await channelStatus(t, aliceTask), 'active');
      const bobTask = await flexTask(f, toBob.invitesTaskSid);
      assert.equal(bobTask.queueSid, f.everyone);
      assert.equal(bobTask.attributes.transferTargetType, 'worker');
      assert.equal(bobTask.attributes.flexInteractionChannelSid, aliceTask.attributes.flexInteractionChannelSid);
      await accept(f, toBob.invitesTaskSid, 'bob');
      assert.deepEqual(await members(t, conversationSid), ['bob', 'guest-ada']);
      assert.deepEqual(await agentsOnChannel(t, bobTask), [f.agents.bob]);

      // Warm: bob invites the Everyone queue. alice is gone; bob is free for another chat, but the
      // workflow skips the agents already in the conversation, so nobody is offered it yet.
      await f.available('alice', false);
      const warm = await buildInviteParticipantAPIPayload(t, f, bobTask, f.everyone, false, 'bob');
      assert.deepEqual(JSON.parse(warm.workersToIgnore), { workerSidsInConversation: [f.agents.bob] });
      const toQueue = await inviteParticipant(t.client, f, warm);
      assert.equal(await f.status(toQueue.invitesTaskSid), 'pending');
      const why = (await t.http('GET', `/switchyard/v1/Workspaces/${f.wsSid}/Tasks/${toQueue.invitesTaskSid}/Explain?WorkerSid=${f.agents.bob}`)).body;
      assert.match(why.workers[0].reasons.join(' '), /target's expression is false/);
      assert.deepEqual(Object.keys(JSON.parse((await cv.conversations(conversationSid).fetch()).attributes).invites), [toQueue.invitesTaskSid]);
      await f.available('carol', true);
      await accept(f, toQueue.invitesTaskSid, 'carol');
      await removeInvitedParticipant(t.client, conversationSid, toQueue.invitesTaskSid); // conversationJoined
      assert.deepEqual(await members(t, conversationSid), ['bob', 'carol', 'guest-ada']);
      const carolTask = await flexTask(f, toQueue.invitesTaskSid);
      assert.deepEqual((await agentsOnChannel(t, carolTask)).sort(), [f.agents.bob, f.agents.carol].sort());

      // bob leaves; carol and the customer go on.
      await leaveChat(t, bobTask, 'bob');
      assert.equal(await f.status(bobTask.taskSid), 'completed');
      assert.deepEqual(await members(t, conversationSid), ['carol', 'guest-ada']);
      assert.equal(await channelStatus(t, carolTask), 'active');
      assert.equal(await conversationState(t, conversationSid), 'active');
      assert.deepEqual(await agentsOnChannel(t, carolTask), [f.agents.carol]);

      // carol invites alice, then cancels the invite before alice answers.
      await f.available('alice', true);
      const toAlice = await inviteParticipant(t.client, f, await buildInviteParticipantAPIPayload(t, f, carolTask, f.agents.alice, false, 'carol'));
      assert.deepEqual((await f.pending(toAlice.invitesTaskSid)).map((r) => r.workerSid), [f.agents.alice]);
      await f.w.tasks(toAlice.invitesTaskSid).update({ assignmentStatus: 'canceled' });
      await removeInvitedParticipant(t.client, conversationSid, toAlice.invitesTaskSid);
      assert.equal(await f.status(toAlice.invitesTaskSid), 'canceled');
      assert.deepEqual((await f.reservations(toAlice.invitesTaskSid)).map((r) => r.reservationStatus), ['canceled']);
      assert.deepEqual(await members(t, conversationSid), ['carol', 'guest-ada']);
      assert.equal(await channelStatus(t, carolTask), 'active');
      assert.equal(await conversationState(t, conversationSid), 'active');

      // carol, the last agent, leaves: the function closes the channel, and the conversation with it.
      await leaveChat(t, carolTask, 'carol');
      assert.equal(await f.status(carolTask.taskSid), 'completed');
      assert.equal(await channelStatus(t, carolTask), 'closed');
      assert.equal(await conversationState(t, conversationSid), 'closed');
      assert.deepEqual(await members(t, conversationSid), ['guest-ada']);
      assert.deepEqual(await channelLoad(f, f.agents.carol, 'chat'), { assigned: 0, free: 100 });
    });
  });
}

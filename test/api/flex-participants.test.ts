import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { checkList, checkResource, EXTENSIONS, facts } from '../support/conformance.ts';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { customerConversation, flexWorkspace, recordingClient, routedTask, type FlexFixture } from './flex-helpers.ts';

/**
 * What Flex UI and plugins read from `GET …/Channels/{UO}/Participants`: `channel_type` on the list,
 * `media_properties` on each participant (the conversation participant: `conversation_sid`, `sid`,
 * `identity`, `messaging_binding`), and only the participants who are there now, the current agent
 * first (plugins take the first `agent` as "the agent").
 */

const PARTICIPANT = 'flex.v1.interaction.interaction_channel.interaction_channel_participant';
const phone = () => `+1555${randomInt(1_000_000, 9_999_999)}`;

/** A customer-initiated interaction on the customer's conversation; alice accepts its task. */
async function acceptedInteraction(t: TestServer, f: FlexFixture, type: 'sms' | 'whatsapp' | 'web', customer: { address?: string; proxy?: string; identity?: string }) {
  const { conversationSid } = await customerConversation(t, customer);
  const created = await t.client.flexApi.v1.interaction.create({
    channel: { type, initiated_by: 'customer', properties: { media_channel_sid: conversationSid } },
    routing: f.routing({ task_channel_unique_name: type === 'sms' ? 'sms' : 'chat' }),
  });
  const task = routedTask(created.routing);
  const [offer] = await f.pending(task.sid);
  assert.equal(offer.workerSid, f.agents.alice);
  await f.w.tasks(task.sid).reservations(offer.sid).update({ reservationStatus: 'accepted' });
  const channelSid = (created.channel as { sid: string }).sid;
  return { sid: created.sid, channelSid, conversationSid, taskSid: task.sid as string, channel: t.client.flexApi.v1.interaction(created.sid).channels(channelSid) };
}

/** The participants page as the server sent it (the official client checks it against the spec and its extensions). */
async function rawList(t: TestServer, interactionSid: string, channelSid: string): Promise<{ channel_type: string; participants: any[] }> {
  const rc = recordingClient(t);
  await rc.client.flexApi.v1.interaction(interactionSid).channels(channelSid).participants.list();
  return rc.last().body;
}

/** MB SIDs of a conversation's participants by identity or address. */
async function memberSids(t: TestServer, conversationSid: string): Promise<Record<string, string>> {
  const ps = await t.client.conversations.v1.conversations(conversationSid).participants.list();
  return Object.fromEntries(ps.map((p) => [p.identity ?? (p.messagingBinding as { address: string }).address, p.sid]));
}

for (const backend of backends()) {
  describe(`flex: the participants list as Flex UI reads it (${backend.name})`, () => {
    let t: TestServer;
    before(async () => {
      t = await startServer(backend);
    });
    after(() => t.close());

    test('SMS: channel_type on the list; media_properties are the conversation participant (sid, identity, messaging_binding)', async () => {
      const f = await flexWorkspace(t, ['alice']);
      const customer = phone();
      const i = await acceptedInteraction(t, f, 'sms', { address: customer, proxy: '+15550004444' });
      const mb = await memberSids(t, i.conversationSid);
      const page = await rawList(t, i.sid, i.channelSid);
      assert.equal(page.channel_type, 'sms');
      const [c, a] = page.participants;
      assert.equal(c.type, 'customer');
      assert.deepEqual(c.media_properties, {
        conversation_sid: i.conversationSid,
        sid: mb[customer],
        identity: null,
        messaging_binding: { type: 'sms', address: customer, proxy_address: '+15550004444' },
      });
      assert.equal(a.type, 'agent');
      assert.deepEqual(a.media_properties, { conversation_sid: i.conversationSid, sid: mb.alice, identity: 'alice', messaging_binding: null });
      assert.equal(a.routing_properties.worker_sid, f.agents.alice);

      // Create and update answer with the same representation.
      const rc = recordingClient(t);
      const sup = await rc.client.flexApi.v1.interaction(i.sid).channels(i.channelSid).participants.create({ type: 'supervisor', mediaProperties: { identity: 'sup' } });
      const supSid = (await memberSids(t, i.conversationSid)).sup;
      assert.deepEqual(rc.last().body.media_properties, { conversation_sid: i.conversationSid, sid: supSid, identity: 'sup', messaging_binding: null });
      await rc.client.flexApi.v1.interaction(i.sid).channels(i.channelSid).participants(a.sid).update({ status: 'wrapup' });
      assert.deepEqual(rc.last().body.media_properties, { conversation_sid: i.conversationSid, sid: null, identity: 'alice', messaging_binding: null }, 'out of the conversation: no MB');
      assert.equal(sup.type, 'supervisor');
    });

    test('WhatsApp and web chat: the binding type and the chat identity', async () => {
      const f = await flexWorkspace(t, ['alice']);
      const wa = `whatsapp:${phone()}`;
      const w = await acceptedInteraction(t, f, 'whatsapp', { address: wa, proxy: 'whatsapp:+15550004445' });
      const waPage = await rawList(t, w.sid, w.channelSid);
      assert.equal(waPage.channel_type, 'whatsapp');
      assert.deepEqual(waPage.participants[0].media_properties.messaging_binding, { type: 'whatsapp', address: wa, proxy_address: 'whatsapp:+15550004445' });
      await w.channel.update({ status: 'closed' });

      const web = await acceptedInteraction(t, f, 'web', { identity: 'guest-7' });
      const webPage = await rawList(t, web.sid, web.channelSid);
      assert.equal(webPage.channel_type, 'web');
      const mb = await memberSids(t, web.conversationSid);
      assert.deepEqual(
        webPage.participants.map((p) => [p.type, p.media_properties]),
        [
          ['customer', { conversation_sid: web.conversationSid, sid: mb['guest-7'], identity: 'guest-7', messaging_binding: null }],
          ['agent', { conversation_sid: web.conversationSid, sid: mb.alice, identity: 'alice', messaging_binding: null }],
        ],
      );
    });

    test('only current participants, the active agent first: a closed one is gone, a wrapping one comes after', async () => {
      const f = await flexWorkspace(t, ['alice', 'bob']);
      const i = await acceptedInteraction(t, f, 'sms', { address: phone(), proxy: '+15550004446' });
      const firstAgent = async () => (await rawList(t, i.sid, i.channelSid)).participants.find((p) => p.type === 'agent');
      const parked = await firstAgent();

      // Parked: alice's participant is closed (her task completes); only the customer is left.
      await i.channel.participants(parked.sid).update({ status: 'closed' });
      assert.deepEqual((await rawList(t, i.sid, i.channelSid)).participants.map((p) => p.type), ['customer']);

      // Resumed: an invite back to alice; once accepted she has a new participant, and it is the agent.
      const invite = await i.channel.invites.create({ routing: { properties: { workspace_sid: f.wsSid, workflow_sid: f.workflowSid, queue_sid: f.queueSid, worker_sid: f.agents.alice } } });
      const task2 = routedTask(invite.routing).sid as string;
      const [offer] = await f.pending(task2);
      assert.equal(offer.workerSid, f.agents.alice);
      await f.w.tasks(task2).reservations(offer.sid).update({ reservationStatus: 'accepted' });
      const resumed = await firstAgent();
      assert.notEqual(resumed.sid, parked.sid);
      assert.equal(resumed.routing_properties.task_sid, task2);

      // A cold transfer to bob: alice wraps up (still on the list, to complete her task), bob is active and first.
      const transfer = await i.channel.transfers.create({ type: 'cold', from: resumed.sid, to: f.agents.bob });
      const bobTask = (await f.w.tasks.list({ assignmentStatus: ['reserved'] })).find((x) => JSON.parse(x.attributes).transferSid === transfer.sid)!;
      const [bobOffer] = await f.pending(bobTask.sid);
      await f.w.tasks(bobTask.sid).reservations(bobOffer.sid).update({ reservationStatus: 'accepted' });
      const listed = (await rawList(t, i.sid, i.channelSid)).participants;
      assert.deepEqual(
        listed.map((p) => [p.type, p.routing_properties?.worker_sid ?? null]),
        [['customer', null], ['agent', f.agents.bob], ['agent', f.agents.alice]],
      );
      assert.equal(await f.status(task2), 'wrapping');

      // alice completes: her participant closes and leaves the list.
      await f.w.tasks(task2).update({ assignmentStatus: 'completed' });
      assert.deepEqual(
        (await rawList(t, i.sid, i.channelSid)).participants.map((p) => [p.type, p.routing_properties?.worker_sid ?? null]),
        [['customer', null], ['agent', f.agents.bob]],
      );
    });
  });
}

describe('conformance: documented extensions are allowed, and nothing else', () => {
  const example = () => structuredClone(facts.examples[PARTICIPANT]) as Record<string, unknown>;
  const media = { conversation_sid: `CH${'a'.repeat(32)}`, sid: `MB${'a'.repeat(32)}`, identity: 'alice', messaging_binding: null };
  const page = (items: unknown[], extra: Record<string, unknown> = {}) => ({
    participants: items,
    meta: {
      page: 0,
      page_size: 50,
      first_page_url: 'https://flex-api.twilio.com/v1/x?PageSize=50&Page=0',
      previous_page_url: null,
      next_page_url: null,
      key: 'participants',
      url: 'https://flex-api.twilio.com/v1/x?PageSize=50&Page=0',
    },
    ...extra,
  });

  test('every extension says why it is there', () => {
    const all = [...Object.values(EXTENSIONS.resources), ...Object.values(EXTENSIONS.pages)].flatMap((fields) => Object.values(fields));
    assert.ok(all.length >= 2);
    for (const e of all) assert.ok(e.reason.length > 40, 'a reason, not a label');
  });

  test('a participant with media_properties conforms, as does Twilio\'s own example without them', () => {
    assert.deepEqual(checkResource(PARTICIPANT, { ...example(), media_properties: media }), []);
    assert.deepEqual(checkResource(PARTICIPANT, example()), []);
    assert.deepEqual(checkList(PARTICIPANT, page([{ ...example(), media_properties: media }], { channel_type: 'sms' }), 'participants'), []);
  });

  test('an extension is type-checked, and any other invented field is still caught', () => {
    assert.deepEqual(checkResource(PARTICIPANT, { ...example(), media_properties: 'CH' }), ['media_properties: expected object, got string "CH"']);
    assert.deepEqual(checkResource(PARTICIPANT, { ...example(), status: 'active' }), [`status: unexpected field (not in ${PARTICIPANT})`]);
    assert.deepEqual(checkList(PARTICIPANT, page([example()], { channel_type: 'fax' }), 'participants'), ['channel_type: "fax" is not one of sms|whatsapp|web|chat|email|messenger|gbm']);
    assert.deepEqual(checkList(PARTICIPANT, page([example()], { channel_kind: 'sms' }), 'participants'), ['channel_kind: unexpected top-level field (a page has only "participants" and "meta")']);
  });

  test('an extension belongs to its own resource: elsewhere it is an invented field', () => {
    const invite = 'flex.v1.interaction.interaction_channel.interaction_channel_invite';
    const body = { ...(structuredClone(facts.examples[invite]) as Record<string, unknown>), media_properties: media };
    assert.deepEqual(checkResource(invite, body), [`media_properties: unexpected field (not in ${invite})`]);
    const invites = { ...page([]), invites: [], channel_type: 'sms' } as Record<string, unknown>;
    delete invites.participants;
    (invites.meta as Record<string, unknown>).key = 'invites';
    assert.deepEqual(checkList(invite, invites, 'invites'), ['channel_type: unexpected top-level field (a page has only "invites" and "meta")']);
  });
});

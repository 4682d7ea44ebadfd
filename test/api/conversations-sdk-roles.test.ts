/**
 * Roles through the official Conversations SDK (pinned, unmodified): for every permission the SDK
 * can exercise (SDK_PERMISSIONS), the SDK's own call is refused with Twilio's 50107 (403) under a
 * role holding every other permission of its type, leaving nothing changed, and goes through under
 * a role holding that permission alone. Roles are made and given through REST, as an application's
 * backend does; what changed is read back through REST.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type twilio from 'twilio';
import { CONVERSATION_PERMISSIONS, SERVICE_PERMISSIONS, type Permission } from '../../src/core/conversations-permissions.ts';
import { SDK_PERMISSIONS, type PermissionCase } from '../support/conversations-permissions.ts';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { chatToken, connectSdk, within, type Client, type Conversation } from '../support/conversations-sdk.ts';

type Cv = twilio.Twilio['conversations']['v1'];

/** What one case works with: the actor's SDK client, and (for conversation roles) its conversation. */
interface World {
  cv: Cv;
  client: Client;
  actor: string;
  /** Another identity of the service: a participant beside the actor where a case needs one. */
  other: string;
  /** The conversation the case acts in, as REST knows it and as the actor's SDK holds it. */
  sid: string;
  conversation: Conversation;
}

interface Driver {
  /** A service-role case's conversation, made by the actor's SDK (conversation-role cases get theirs through REST). */
  open?(client: Client): Promise<Conversation>;
  /** What is in the conversation (made through REST, the actor in it) before the actor connects. */
  prepare?(w: Omit<World, 'client' | 'conversation' | 'sid'> & { sid: string }): Promise<unknown>;
  /** The SDK call. */
  act(w: World): Promise<unknown>;
  /** Other SDK calls that need the same permission: refused as well (not run when granted). */
  alsoRefused?: ((w: World) => Promise<unknown>)[];
  /** What the call changes, read through REST: the same after a refusal, `changedTo` once allowed. */
  observe(w: World): Promise<unknown>;
  changedTo: (w: World) => unknown;
}

const identities = async (cv: Cv, sid: string) => (await cv.conversations(sid).participants.list()).map((p) => p.identity ?? p.messagingBinding?.address).sort();
const bodies = async (cv: Cv, sid: string) => (await cv.conversations(sid).messages.list()).map((m) => [m.author, m.body, JSON.parse(m.attributes)]);
const messageOf = async (w: World, author: string) => {
  const page = await within(w.conversation.getMessages(), 'getMessages');
  const m = page.items.find((x) => x.author === author);
  assert.ok(m, `the SDK sees ${author}'s message`);
  return m;
};
const participantOf = (w: World, identity: string) => within(w.conversation.getParticipantByIdentity(identity), 'getParticipantByIdentity').then((p) => p!);
const byActor = ({ cv, sid, actor }: { cv: Cv; sid: string; actor: string }) => cv.conversations(sid).messages.create({ author: actor, body: 'mine', attributes: '{"v":0}' });
const byOther = ({ cv, sid, other }: { cv: Cv; sid: string; other: string }) => cv.conversations(sid).messages.create({ author: other, body: 'theirs', attributes: '{"v":0}' });
const otherIn = ({ cv, sid, other }: { cv: Cv; sid: string; other: string }) => cv.conversations(sid).participants.create({ identity: other, attributes: '{"v":0}' });
const userOf = async (cv: Cv, identity: string) => {
  const u = await cv.users(identity).fetch();
  return { friendlyName: u.friendlyName, attributes: JSON.parse(u.attributes) };
};

/**
 * How the official SDK issues each permission's call. Every row of SDK_PERMISSIONS has one: the
 * SDK can issue all of them (a row without one fails its test below).
 */
const DRIVERS: Record<Permission, Driver> = {
  // Service role.
  createConversation: {
    act: (w) => w.client.createConversation({ friendlyName: `made by ${w.actor}` }),
    observe: async (w) => (await w.cv.conversations.list()).filter((c) => c.friendlyName === `made by ${w.actor}`).length,
    changedTo: () => 1,
  },
  joinConversation: {
    // To join, the SDK must see the conversation before it is in it: one it created (its role has createConversation).
    open: (client) => within(client.createConversation({ friendlyName: 'to join' }), 'createConversation'),
    act: (w) => w.conversation.join(),
    observe: (w) => identities(w.cv, w.sid),
    changedTo: (w) => [w.actor],
  },
  editOwnUserInfo: {
    act: async (w) => {
      await w.client.user.updateFriendlyName('Renamed');
      await w.client.user.updateAttributes({ v: 1 });
    },
    alsoRefused: [(w) => w.client.user.updateAttributes({ v: 1 })],
    observe: (w) => userOf(w.cv, w.actor),
    changedTo: () => ({ friendlyName: 'Renamed', attributes: { v: 1 } }),
  },
  editAnyUserInfo: {
    prepare: ({ cv, other }) => cv.users.create({ identity: other, attributes: '{"v":0}' }),
    act: async (w) => (await within(w.client.getUser(w.other), 'getUser')).updateAttributes({ v: 1 }),
    alsoRefused: [async (w) => (await within(w.client.getUser(w.other), 'getUser')).updateFriendlyName('Renamed')],
    observe: (w) => userOf(w.cv, w.other),
    changedTo: () => ({ friendlyName: null, attributes: { v: 1 } }),
  },
  // Conversation role.
  sendMessage: {
    act: (w) => w.conversation.sendMessage('hello', { v: 1 }),
    observe: (w) => bodies(w.cv, w.sid),
    changedTo: (w) => [[w.actor, 'hello', { v: 1 }]],
  },
  sendMediaMessage: {
    act: (w) => w.conversation.sendMessage({ contentType: 'text/plain', filename: 'a.txt', media: Buffer.from('media') } as never),
    observe: async (w) => (await w.cv.conversations(w.sid).messages.list()).map((m) => [m.author, (m.media as { content_type: string }[] | null)?.map((x) => x.content_type)]),
    changedTo: (w) => [[w.actor, ['text/plain']]],
  },
  leaveConversation: {
    act: (w) => w.conversation.leave(),
    observe: (w) => identities(w.cv, w.sid),
    changedTo: () => [],
  },
  addParticipant: {
    act: (w) => w.conversation.add(w.other),
    observe: (w) => identities(w.cv, w.sid),
    changedTo: (w) => [w.actor, w.other].sort(),
  },
  addNonChatParticipant: {
    act: (w) => w.conversation.addNonChatParticipant('+15550000002', '+15550000001'),
    observe: (w) => identities(w.cv, w.sid),
    changedTo: (w) => ['+15550000001', w.actor].sort(),
  },
  removeParticipant: {
    prepare: otherIn,
    act: (w) => w.conversation.removeParticipant(w.other),
    alsoRefused: [async (w) => (await participantOf(w, w.other)).remove()],
    observe: (w) => identities(w.cv, w.sid),
    changedTo: (w) => [w.actor],
  },
  editConversationName: {
    act: (w) => w.conversation.updateFriendlyName('renamed'),
    alsoRefused: [(w) => w.conversation.updateUniqueName(`unique-${w.actor}`)],
    observe: async (w) => {
      const c = await w.cv.conversations(w.sid).fetch();
      return [c.friendlyName, c.uniqueName];
    },
    changedTo: () => ['renamed', null],
  },
  editConversationAttributes: {
    act: (w) => w.conversation.updateAttributes({ v: 1 }),
    observe: async (w) => JSON.parse((await w.cv.conversations(w.sid).fetch()).attributes),
    changedTo: () => ({ v: 1 }),
  },
  deleteConversation: {
    act: (w) => w.conversation.delete(),
    observe: (w) => w.cv.conversations(w.sid).fetch().then(() => 'there', (e: { status?: number }) => e.status),
    changedTo: () => 404,
  },
  editNotificationLevel: {
    act: (w) => w.conversation.setUserNotificationLevel('muted'),
    observe: async (w) => (await w.cv.users(w.actor).userConversations(w.sid).fetch()).notificationLevel,
    changedTo: () => 'muted',
  },
  editOwnMessage: {
    prepare: byActor,
    act: async (w) => (await messageOf(w, w.actor)).updateBody('edited'),
    observe: (w) => bodies(w.cv, w.sid),
    changedTo: (w) => [[w.actor, 'edited', { v: 0 }]],
  },
  editAnyMessage: {
    prepare: byOther,
    act: async (w) => (await messageOf(w, w.other)).updateBody('edited'),
    observe: (w) => bodies(w.cv, w.sid),
    changedTo: (w) => [[w.other, 'edited', { v: 0 }]],
  },
  editOwnMessageAttributes: {
    prepare: byActor,
    act: async (w) => (await messageOf(w, w.actor)).updateAttributes({ v: 1 }),
    observe: (w) => bodies(w.cv, w.sid),
    changedTo: (w) => [[w.actor, 'mine', { v: 1 }]],
  },
  editAnyMessageAttributes: {
    prepare: byOther,
    act: async (w) => (await messageOf(w, w.other)).updateAttributes({ v: 1 }),
    observe: (w) => bodies(w.cv, w.sid),
    changedTo: (w) => [[w.other, 'theirs', { v: 1 }]],
  },
  deleteOwnMessage: {
    prepare: byActor,
    act: async (w) => (await messageOf(w, w.actor)).remove(),
    observe: (w) => bodies(w.cv, w.sid),
    changedTo: () => [],
  },
  deleteAnyMessage: {
    prepare: byOther,
    act: async (w) => (await messageOf(w, w.other)).remove(),
    observe: (w) => bodies(w.cv, w.sid),
    changedTo: () => [],
  },
  editOwnParticipantAttributes: {
    act: async (w) => (await participantOf(w, w.actor)).updateAttributes({ v: 1 }),
    observe: async (w) => JSON.parse((await w.cv.conversations(w.sid).participants(w.actor).fetch()).attributes),
    changedTo: () => ({ v: 1 }),
  },
  editAnyParticipantAttributes: {
    prepare: otherIn,
    act: async (w) => (await participantOf(w, w.other)).updateAttributes({ v: 1 }),
    observe: async (w) => JSON.parse((await w.cv.conversations(w.sid).participants(w.other).fetch()).attributes),
    changedTo: () => ({ v: 1 }),
  },
};

/** The call refused as Twilio refuses it (the SDK's error carries 403 and 50107), for lack of `permission`. */
async function refused(call: Promise<unknown>, what: string, permission: Permission): Promise<void> {
  const outcome = await within(
    call.then(
      () => 'allowed' as const,
      (e: unknown) => e,
    ),
    what,
  );
  assert.notEqual(outcome, 'allowed', `${what} was allowed`);
  const err = outcome as { status?: number; body?: { code?: number; message?: string }; message?: string };
  assert.equal(err.body?.code, 50107, `${what}: refused with ${err.body?.code ?? err.message}, not 50107`);
  assert.equal(err.status, 403);
  // Refused by the roles, not by another 50107 (such as not being a participant).
  assert.match(err.body?.message ?? '', new RegExp(`lacks the ${permission} permission`));
}

for (const backend of backends()) {
  describe(`conversations: each role permission, through the official SDK (${backend.name})`, () => {
    let t: TestServer;
    before(async () => {
      t = await startServer(backend, { timers: 'auto' });
    });
    after(() => t.close());

    for (const c of SDK_PERMISSIONS) {
      test(`${c.permission} (${c.scope} role): ${c.sdk}`, async () => {
        const driver = DRIVERS[c.permission];
        assert.ok(driver, `no SDK call drives ${c.permission}`);
        await runCase(t, c, driver);
      });
    }
  });
}

async function runCase(t: TestServer, c: PermissionCase, driver: Driver): Promise<void> {
  const cv = t.client.conversations.v1;
  const actor = `actor-${c.permission}`;
  const other = `other-${c.permission}`;
  const all: readonly string[] = c.scope === 'service' ? SERVICE_PERMISSIONS : CONVERSATION_PERMISSIONS;
  // An "any" permission covers its "own" one (editAnyMessage lets you edit your own), so it goes too.
  const without = all.filter((p) => p !== c.permission && p !== c.permission.replace('Own', 'Any'));
  const lacking = await cv.roles.create({ friendlyName: `all but ${c.permission}`, type: c.scope, permission: without });
  const only = await cv.roles.create({ friendlyName: `only ${c.permission}`, type: c.scope, permission: [c.permission] });
  // The other scope's role grants nothing the case needs, so only the role under test decides.
  const bystander = await cv.roles.create({
    friendlyName: 'bystander',
    type: c.scope === 'service' ? 'conversation' : 'service',
    permission: c.scope === 'service' ? ['leaveConversation'] : ['joinConversation'],
  });
  await cv.users.create({ identity: actor, roleSid: c.scope === 'service' ? lacking.sid : bystander.sid });
  let sid = '';
  const give = (roleSid: string) =>
    c.scope === 'service' ? cv.users(actor).update({ roleSid }) : cv.conversations(sid).participants(actor).update({ roleSid });

  // Conversation roles are held in a conversation made through REST with the actor in it.
  if (c.scope === 'conversation') {
    sid = (await cv.conversations.create({ friendlyName: c.permission, attributes: '{"v":0}' })).sid;
    await cv.conversations(sid).participants.create({ identity: actor, roleSid: lacking.sid, attributes: '{"v":0}' });
  }
  await driver.prepare?.({ cv, actor, other, sid });

  const client = await connectSdk(t.baseUrl, chatToken(t.account, actor));
  try {
    let conversation: Conversation | undefined;
    if (c.scope === 'conversation') {
      conversation = await within(client.getConversationBySid(sid), 'getConversationBySid');
      await within(conversation.getParticipants(), 'getParticipants');
    } else if (driver.open) {
      conversation = await driver.open(client);
      sid = conversation.sid;
    }
    // Service-role cases other than joining act on no conversation.
    const w: World = { cv, client, actor, other, sid, conversation: conversation as Conversation };

    const before = await driver.observe(w);
    await refused(driver.act(w), `${c.sdk} without ${c.permission}`, c.permission);
    for (const [i, call] of (driver.alsoRefused ?? []).entries()) await refused(call(w), `${c.sdk} (form ${i + 2}) without ${c.permission}`, c.permission);
    assert.deepEqual(await driver.observe(w), before, 'a refused call changes nothing');

    await give(only.sid);
    await within(driver.act(w), `${c.sdk} with ${c.permission} alone`);
    assert.deepEqual(await driver.observe(w), driver.changedTo(w));
  } finally {
    await within(client.shutdown(), 'shutdown').catch(() => undefined);
  }
}

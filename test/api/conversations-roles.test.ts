import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BUILTIN_ROLES, CONVERSATION_PERMISSIONS, SERVICE_PERMISSIONS } from '../../src/core/conversations-permissions.ts';
import { ensureBuiltinRoles } from '../../src/conversations/service/deps.ts';
import { SDK_PERMISSIONS } from '../support/conversations-permissions.ts';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { anotherService } from './conversations-access-helpers.ts';
import { rejects } from './conversations-helpers.ts';

for (const backend of backends()) {
  describe(`conversations: roles and the permission check (${backend.name})`, () => {
    let t: TestServer;
    before(async () => {
      t = await startServer(backend);
    });
    after(() => t.close());

    const account = async () => {
      const { client, account } = await t.newAccount();
      const cv = client.conversations.v1;
      const serviceSid = (await cv.configuration().fetch()).defaultChatServiceSid;
      const roles = await cv.roles.list();
      const role = (name: string) => roles.find((r) => r.friendlyName === name)!.sid;
      return { cv, client, accountSid: account.accountSid, serviceSid, role };
    };

    test('every service starts with the built-in roles, the same through either path, once', async () => {
      const { cv, client, serviceSid } = await account();
      const listed = await Promise.all([cv.roles.list(), cv.services(serviceSid).roles.list(), cv.roles.list()]);
      const [flat, scoped, again] = listed;
      assert.deepEqual(
        flat.map((r) => [r.friendlyName, r.type, r.permissions]),
        BUILTIN_ROLES.map((b) => [b.friendlyName, b.type, [...b.permissions]]),
      );
      assert.deepEqual(scoped.map((r) => r.sid), flat.map((r) => r.sid));
      assert.deepEqual(again.map((r) => r.sid), flat.map((r) => r.sid), 'made once, even when asked at once');
      for (const r of flat) {
        assert.equal(r.chatServiceSid, serviceSid);
        assert.ok(r.url.endsWith(`/v1/Roles/${r.sid}`));
      }
      assert.ok(scoped[0].url.endsWith(`/v1/Services/${serviceSid}/Roles/${scoped[0].sid}`));
      const other = await anotherService(t, client);
      const theirs = await cv.services(other.sid).roles.list();
      assert.deepEqual(theirs.map((r) => r.friendlyName), flat.map((r) => r.friendlyName));
      assert.equal(theirs.filter((r) => flat.some((f) => f.sid === r.sid)).length, 0, 'a service has roles of its own');
    });

    test('built-in roles come with the service: reading roles writes nothing; a service from before roles gets them at start', async () => {
      const { cv, client, serviceSid } = await account();
      const count = async () => Number((await t.server.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM conversation_roles'))!.n);
      const other = await anotherService(t, client);
      const before = await count();
      assert.equal((await cv.services(other.sid).roles.list()).length, BUILTIN_ROLES.length);
      await cv.services(other.sid).configuration().fetch();
      assert.equal(await count(), before, 'reads made no rows');
      // A store from before roles: the service has none until the server starts.
      await t.server.db.run('DELETE FROM conversation_roles WHERE chat_service_sid = ?', [serviceSid]);
      await ensureBuiltinRoles(t.server.db, t.clock.now());
      assert.deepEqual((await cv.roles.list()).map((r) => r.friendlyName), BUILTIN_ROLES.map((b) => b.friendlyName));
      await ensureBuiltinRoles(t.server.db, t.clock.now());
      assert.equal((await cv.roles.list()).length, BUILTIN_ROLES.length, 'once');
    });

    test('create, fetch, list, update (permissions replaced), delete a role of each type', async () => {
      const { cv, serviceSid } = await account();
      const r = await cv.roles.create({ friendlyName: 'moderator', type: 'conversation', permission: ['sendMessage', 'deleteAnyMessage', 'sendMessage'] });
      assert.match(r.sid, /^RL[0-9a-f]{32}$/);
      assert.equal(r.type, 'conversation');
      assert.deepEqual(r.permissions, ['sendMessage', 'deleteAnyMessage']);
      assert.equal(r.chatServiceSid, serviceSid);
      assert.deepEqual((await cv.services(serviceSid).roles(r.sid).fetch()).permissions, r.permissions);
      const s = await cv.services(serviceSid).roles.create({ friendlyName: 'creator', type: 'service', permission: ['createConversation'] });
      assert.deepEqual((await cv.roles.list()).slice(-2).map((x) => x.sid), [r.sid, s.sid]);
      t.clock.advance(1000);
      const u = await cv.roles(r.sid).update({ permission: ['leaveConversation'] });
      assert.deepEqual(u.permissions, ['leaveConversation']);
      assert.equal(u.dateUpdated.getTime() - u.dateCreated.getTime(), 1000);
      assert.equal(await cv.roles(r.sid).remove(), true);
      await rejects(cv.roles(r.sid).fetch(), 404, 20404);
      assert.equal(await cv.services(serviceSid).roles(s.sid).remove(), true);
    });

    test('permissions must suit the role type (50104); the type is service or conversation (50105)', async () => {
      const { cv } = await account();
      await rejects(cv.roles.create({ friendlyName: 'x', type: 'service', permission: ['sendMessage'] }), 400, 50104, /sendMessage/);
      await rejects(cv.roles.create({ friendlyName: 'x', type: 'conversation', permission: ['joinConversation'] }), 400, 50104);
      await rejects(cv.roles.create({ friendlyName: 'x', type: 'conversation', permission: ['destroyChannel'] }), 400, 50104);
      await rejects(cv.roles.create({ friendlyName: 'x', type: 'channel' as 'service', permission: ['sendMessage'] }), 400, 50105);
      const r = await cv.roles.create({ friendlyName: 'ok', type: 'service', permission: ['joinConversation'] });
      await rejects(cv.roles(r.sid).update({ permission: ['sendMessage'] }), 400, 50104);
      assert.deepEqual((await cv.roles(r.sid).fetch()).permissions, ['joinConversation'], 'unchanged');
    });

    test('built-in roles, and roles held by a user or a participant, cannot be deleted', async () => {
      const { cv, role } = await account();
      await rejects(cv.roles(role('channel user')).remove(), 400, 20001, /built-in/);
      const sr = await cv.roles.create({ friendlyName: 'held by a user', type: 'service', permission: ['joinConversation'] });
      await cv.users.create({ identity: 'holder', roleSid: sr.sid });
      await rejects(cv.roles(sr.sid).remove(), 400, 20001, /held/);
      await cv.users('holder').update({ roleSid: role('service user') });
      assert.equal(await cv.roles(sr.sid).remove(), true);
      const cr = await cv.roles.create({ friendlyName: 'held by a participant', type: 'conversation', permission: ['sendMessage'] });
      const c = await cv.conversations.create();
      const p = await cv.conversations(c.sid).participants.create({ identity: 'p', roleSid: cr.sid });
      await rejects(cv.roles(cr.sid).remove(), 400, 20001);
      await cv.conversations(c.sid).participants(p.sid).remove();
      assert.equal(await cv.roles(cr.sid).remove(), true);
    });

    test('another account or service cannot see, change or delete a role', async () => {
      const { cv, client } = await account();
      const r = await cv.roles.create({ friendlyName: 'private', type: 'conversation', permission: ['sendMessage'] });
      const foreign = (await t.newAccount()).client.conversations.v1;
      await rejects(foreign.roles(r.sid).fetch(), 404, 20404);
      await rejects(foreign.roles(r.sid).update({ permission: ['leaveConversation'] }), 404, 20404);
      await rejects(foreign.roles(r.sid).remove(), 404, 20404);
      assert.equal((await foreign.roles.list()).some((x) => x.sid === r.sid), false);
      const other = await anotherService(t, client);
      await rejects(cv.services(other.sid).roles(r.sid).fetch(), 404, 20404);
      await rejects(cv.services(other.sid).roles(r.sid).remove(), 404, 20404);
      assert.deepEqual((await cv.roles(r.sid).fetch()).permissions, ['sendMessage']);
    });

    test("the service role counts everywhere; the conversation role only in its conversation; REST changes apply at once", async () => {
      const { cv, accountSid, role } = await account();
      const roles = t.server.conversations.roles;
      const c = await cv.conversations.create({ uniqueName: 'room' });
      await cv.conversations(c.sid).participants.create({ identity: 'member' });
      // Defaults: a member may send and edit its own messages, not others'; a stranger may do neither.
      assert.equal(await roles.permissionFor(accountSid, undefined, 'room', 'member', 'sendMessage'), true);
      assert.equal(await roles.permissionFor(accountSid, undefined, c.sid, 'member', 'editAnyMessage'), false);
      assert.equal(await roles.permissionFor(accountSid, undefined, c.sid, 'stranger', 'sendMessage'), false);
      assert.equal(await roles.permissionFor(accountSid, undefined, null, 'stranger', 'createConversation'), true, "the default service role, before the user exists");
      // A service admin may delete anyone's message in any conversation of the service, member or not.
      await cv.users.create({ identity: 'admin', roleSid: role('service admin') });
      assert.equal(await roles.permissionFor(accountSid, undefined, c.sid, 'admin', 'deleteAnyMessage'), true);
      assert.equal(await roles.permissionFor(accountSid, undefined, c.sid, 'admin', 'sendMessage'), false, 'sending needs the conversation role');
      // Changing the member's role, or the role's permissions, through REST takes effect at once.
      await cv.conversations(c.sid).participants('member').update({ roleSid: role('channel admin') });
      assert.equal(await roles.permissionFor(accountSid, undefined, c.sid, 'member', 'editAnyMessage'), true);
      await cv.roles(role('channel admin')).update({ permission: ['leaveConversation'] });
      assert.equal(await roles.permissionFor(accountSid, undefined, c.sid, 'member', 'sendMessage'), false);
      await rejects(roles.requirePermission(accountSid, undefined, c.sid, 'member', 'sendMessage'), 403, 50107);
      // A participant from before roles (no role_sid) holds the default conversation role.
      await t.server.db.run('UPDATE conversation_participants SET role_sid = NULL WHERE conversation_sid = ?', [c.sid]);
      assert.equal(await roles.permissionFor(accountSid, undefined, c.sid, 'member', 'sendMessage'), true);
      // Another account's conversation is not found from here.
      const foreign = await t.newAccount();
      await rejects(roles.permissionFor(foreign.account.accountSid, undefined, c.sid, 'member', 'sendMessage'), 404, 20404);
    });

    describe('one test per permission the SDK can exercise: refused without it (50107), allowed with it alone', () => {
      for (const c of SDK_PERMISSIONS) {
        test(`${c.permission} (${c.scope} role): ${c.sdk}`, async () => {
          const { cv, accountSid } = await account();
          const roles = t.server.conversations.roles;
          const all: readonly string[] = c.scope === 'service' ? SERVICE_PERMISSIONS : CONVERSATION_PERMISSIONS;
          const without = all.filter((p) => p !== c.permission && p !== c.permission.replace('Own', 'Any'));
          const lacking = await cv.roles.create({ friendlyName: 'lacking', type: c.scope, permission: without });
          const only = await cv.roles.create({ friendlyName: 'only', type: c.scope, permission: [c.permission] });
          const conv = await cv.conversations.create();
          // The other scope's role grants nothing, so only the role under test decides.
          const none = await cv.roles.create({ friendlyName: 'none', type: c.scope === 'service' ? 'conversation' : 'service', permission: c.scope === 'service' ? ['leaveConversation'] : ['joinConversation'] });
          const grant = async (roleSid: string) => {
            if (c.scope === 'service') {
              await cv.users('actor').update({ roleSid });
              await cv.conversations(conv.sid).participants('actor').update({ roleSid: none.sid });
            } else {
              await cv.users('actor').update({ roleSid: none.sid });
              await cv.conversations(conv.sid).participants('actor').update({ roleSid });
            }
          };
          await cv.conversations(conv.sid).participants.create({ identity: 'actor' });
          const where = c.about === 'service' ? null : conv.sid;
          await grant(lacking.sid);
          assert.equal(await roles.permissionFor(accountSid, undefined, where, 'actor', c.permission), false);
          await rejects(roles.requirePermission(accountSid, undefined, where, 'actor', c.permission), 403, 50107, new RegExp(c.permission));
          await grant(only.sid);
          assert.equal(await roles.permissionFor(accountSid, undefined, where, 'actor', c.permission), true);
          await roles.requirePermission(accountSid, undefined, where, 'actor', c.permission);
        });
      }
    });
  });
}

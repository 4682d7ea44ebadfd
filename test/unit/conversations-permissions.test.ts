import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BUILTIN_ROLES,
  CONVERSATION_PERMISSIONS,
  SERVICE_PERMISSIONS,
  allowed,
  isPermission,
  unknownPermission,
} from '../../src/core/conversations-permissions.ts';
import { SDK_PERMISSIONS } from '../support/conversations-permissions.ts';

test('an action is allowed exactly when its permission (or the "any" form of an "own" one) is granted', () => {
  const all = [...new Set([...SERVICE_PERMISSIONS, ...CONVERSATION_PERMISSIONS])];
  for (const p of all) {
    assert.equal(allowed([p], p), true, p);
    assert.equal(allowed([], p), false, p);
    const wider = p.replace('Own', 'Any');
    assert.equal(allowed(all.filter((q) => q !== p && q !== wider), p), false, `${p} with everything else`);
  }
});

test('an "any" permission covers the "own" action, never the other way round', () => {
  const pairs = [
    ['editOwnMessage', 'editAnyMessage'],
    ['editOwnMessageAttributes', 'editAnyMessageAttributes'],
    ['deleteOwnMessage', 'deleteAnyMessage'],
    ['editOwnParticipantAttributes', 'editAnyParticipantAttributes'],
    ['editOwnUserInfo', 'editAnyUserInfo'],
  ] as const;
  for (const [own, any] of pairs) {
    assert.equal(allowed([any], own), true, `${any} covers ${own}`);
    assert.equal(allowed([own], any), false, `${own} does not cover ${any}`);
  }
  // Sending text does not send media, nor the other way round.
  assert.equal(allowed(['sendMessage'], 'sendMediaMessage'), false);
  assert.equal(allowed(['sendMediaMessage'], 'sendMessage'), false);
});

test('permission names are checked against the role type, case-sensitively', () => {
  assert.equal(unknownPermission('conversation', ['sendMessage', 'leaveConversation']), undefined);
  assert.equal(unknownPermission('service', ['sendMessage']), 'sendMessage');
  assert.equal(unknownPermission('conversation', ['createConversation']), 'createConversation');
  assert.equal(unknownPermission('service', ['joinconversation']), 'joinconversation');
  assert.equal(isPermission('editAnyUserInfo'), true);
  assert.equal(isPermission('destroyChannel'), false);
});

test('the built-in roles: Twilio names, one default each, permissions of their own type', () => {
  assert.deepEqual(
    BUILTIN_ROLES.map((r) => [r.friendlyName, r.type]),
    [
      ['service admin', 'service'],
      ['service user', 'service'],
      ['channel admin', 'conversation'],
      ['channel user', 'conversation'],
    ],
  );
  for (const r of BUILTIN_ROLES) assert.equal(unknownPermission(r.type, r.permissions), undefined, r.friendlyName);
  assert.deepEqual(BUILTIN_ROLES.map((r) => r.defaultFor).filter(Boolean).sort(), ['chatServiceRole', 'conversationCreatorRole', 'conversationRole']);
  const channelUser = BUILTIN_ROLES.find((r) => r.friendlyName === 'channel user')!.permissions;
  assert.equal(allowed(channelUser, 'sendMessage'), true);
  assert.equal(allowed(channelUser, 'editOwnMessage'), true);
  assert.equal(allowed(channelUser, 'editAnyMessage'), false);
  assert.equal(allowed(channelUser, 'removeParticipant'), false);
});

test('the SDK permission table names every permission once, each in a scope that can hold it', () => {
  const names = SDK_PERMISSIONS.map((c) => c.permission);
  assert.equal(new Set(names).size, names.length);
  assert.deepEqual([...names].sort(), [...new Set([...SERVICE_PERMISSIONS, ...CONVERSATION_PERMISSIONS])].sort());
  for (const c of SDK_PERMISSIONS) assert.equal(unknownPermission(c.scope, [c.permission]), undefined, c.permission);
});

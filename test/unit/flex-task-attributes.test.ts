import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { CHANNEL_TYPES, type ChannelType, type InitiatedBy } from '../../src/flex/model.ts';
import { taskAttributes, type TaskAttributeInput } from '../../src/flex/task-attributes.ts';

// The attributes of a task routed for an interaction channel, as Flex (UI and Insights) reads
// them: see the task attributes of the example response in the Interactions reference.

const KD = 'KD' + 'a'.repeat(32);
const UO = 'UO' + 'a'.repeat(32);
const KG = 'KG' + 'a'.repeat(32);
const CH = 'CH' + 'a'.repeat(32);

type Obj = Record<string, unknown>;

function input(patch: Partial<TaskAttributeInput> = {}): TaskAttributeInput {
  return {
    interactionSid: KD,
    channelSid: UO,
    inviteSid: KG,
    conversationSid: CH,
    channelType: 'sms',
    customer: {},
    caller: {},
    ...patch,
  };
}

/** The keys that tie a task to its interaction, with the values `input()` gives them. */
const OURS = { flexInteractionSid: KD, flexInteractionChannelSid: UO, flexChannelInviteSid: KG, conversationSid: CH };

/** Where each channel type puts the customer's address in `customers`. */
const CUSTOMER_KEY: Record<ChannelType, string> = { sms: 'phone', whatsapp: 'phone', messenger: 'phone', gbm: 'phone', email: 'email', chat: 'identity', web: 'identity' };
const ADDRESS: Record<ChannelType, string> = {
  sms: '+13115552368',
  whatsapp: 'whatsapp:+13115552368',
  messenger: 'messenger:1234567890',
  gbm: 'gbm:abcdef',
  email: 'customer@example.com',
  chat: 'customer-identity',
  web: 'web-visitor-1',
};

const media = [{ type: 'ChatTranscript', sid: CH }];

describe('taskAttributes: the reference example', () => {
  test('an inbound SMS from a customer', () => {
    const out = taskAttributes(input({ initiatedBy: 'customer', customer: { name: 'customer name', address: 'customer phone address' } }));
    assert.deepEqual(out, {
      customerAddress: 'customer phone address',
      flexChannelInviteSid: KG,
      conversationSid: CH,
      channelType: 'sms',
      customers: { phone: 'customer phone address', name: 'customer name' },
      conversations: { initiated_by: 'customer', conversation_id: KD, media },
      customerName: 'customer name',
      flexInteractionChannelSid: UO,
      initiatedBy: 'customer',
      flexInteractionSid: KD,
      direction: 'inbound',
    });
  });

  test('the output is a JSON object (it becomes the task attributes string)', () => {
    const out = taskAttributes(input({ initiatedBy: 'agent', customer: { name: 'n', address: 'a' }, caller: { x: [1, { y: null }] } }));
    assert.deepEqual(JSON.parse(JSON.stringify(out)), out);
    for (const v of Object.values(out)) assert.notEqual(v, undefined);
  });
});

describe('taskAttributes: per channel type', () => {
  for (const type of CHANNEL_TYPES) {
    const key = CUSTOMER_KEY[type];
    test(`${type}: the address goes to customers.${key}`, () => {
      const out = taskAttributes(input({ channelType: type, customer: { address: ADDRESS[type], name: 'Ann' } }));
      assert.deepEqual(out.customers, { [key]: ADDRESS[type], name: 'Ann' });
      assert.equal(out.channelType, type);
      assert.equal(out.customerAddress, ADDRESS[type]);
      assert.equal(out.customerName, 'Ann');
      for (const other of ['phone', 'email', 'identity'].filter((k) => k !== key)) assert.ok(!(other in (out.customers as Obj)), `${type}: no customers.${other}`);
    });

    test(`${type}: customerName defaults to the address`, () => {
      const out = taskAttributes(input({ channelType: type, customer: { address: ADDRESS[type] } }));
      assert.equal(out.customerName, ADDRESS[type]);
      assert.equal(out.customerAddress, ADDRESS[type]);
      assert.deepEqual(out.customers, { [key]: ADDRESS[type] });
    });

    test(`${type}: a name without an address`, () => {
      const out = taskAttributes(input({ channelType: type, customer: { name: 'Ann' } }));
      assert.equal(out.customerName, 'Ann');
      assert.ok(!('customerAddress' in out));
      assert.deepEqual(out.customers, { name: 'Ann' });
    });

    test(`${type}: no customer known`, () => {
      const out = taskAttributes(input({ channelType: type }));
      assert.ok(!('customerAddress' in out));
      assert.ok(!('customerName' in out));
      assert.deepEqual(out.customers, {});
      assert.deepEqual(out, { ...OURS, channelType: type, customers: {}, conversations: { conversation_id: KD, media } });
    });
  }
});

describe('taskAttributes: initiatedBy and direction', () => {
  const DIRECTION: Record<InitiatedBy, string> = { customer: 'inbound', api: 'inbound', agent: 'outbound' };
  for (const type of CHANNEL_TYPES)
    for (const by of ['customer', 'agent', 'api'] as const)
      test(`${type} initiated by ${by}: ${DIRECTION[by]}`, () => {
        const out = taskAttributes(input({ channelType: type, initiatedBy: by, customer: { address: ADDRESS[type] } }));
        assert.equal(out.initiatedBy, by);
        assert.equal(out.direction, DIRECTION[by]);
        assert.deepEqual(out.conversations, { conversation_id: KD, media, initiated_by: by });
      });

  test('left out for invites and transfers: no initiatedBy, direction or conversations.initiated_by', () => {
    const out = taskAttributes(input({ customer: { address: '+1' } }));
    assert.ok(!('initiatedBy' in out));
    assert.ok(!('direction' in out));
    assert.deepEqual(out.conversations, { conversation_id: KD, media });
  });

  test("left out: the caller's own initiatedBy, direction and conversations.initiated_by stay", () => {
    const out = taskAttributes(input({ caller: { initiatedBy: 'customer', direction: 'inbound', conversations: { initiated_by: 'customer' } } }));
    assert.equal(out.initiatedBy, 'customer');
    assert.equal(out.direction, 'inbound');
    assert.deepEqual(out.conversations, { initiated_by: 'customer', conversation_id: KD, media });
  });

  test("given: ours win over the caller's", () => {
    const out = taskAttributes(input({ initiatedBy: 'agent', caller: { initiatedBy: 'customer', direction: 'inbound', conversations: { initiated_by: 'api' } } }));
    assert.equal(out.initiatedBy, 'agent');
    assert.equal(out.direction, 'outbound');
    assert.equal((out.conversations as Obj).initiated_by, 'agent');
  });
});

describe("taskAttributes: the caller's attributes", () => {
  test('are kept, as they are', () => {
    const caller = { customerAddress: '+13115552368', from: 'testname', language: 'fr', skills: ['billing'], vip: true, score: 3.5, nothing: null, nested: { a: { b: [1] } } };
    const out = taskAttributes(input({ initiatedBy: 'api', customer: { address: '+1999', name: 'Ann' }, caller }));
    for (const [k, v] of Object.entries(caller)) assert.deepEqual(out[k], v, k);
  });

  test('customerName and customerAddress given by the caller win (the reference example sets them)', () => {
    const out = taskAttributes(input({ initiatedBy: 'agent', customer: { address: '+13115552368', name: 'From the channel' }, caller: { customerName: 'silly name', customerAddress: 'crm:42' } }));
    assert.equal(out.customerName, 'silly name');
    assert.equal(out.customerAddress, 'crm:42');
    // customers is still built from the channel's customer.
    assert.deepEqual(out.customers, { phone: '+13115552368', name: 'From the channel' });
  });

  for (const key of ['flexInteractionSid', 'flexInteractionChannelSid', 'flexChannelInviteSid', 'conversationSid', 'channelType'] as const)
    test(`${key} cannot be overridden`, () => {
      for (const value of ['forged', null, 0, { sid: 'x' }, KD.replace('KD', 'XX')]) {
        const out = taskAttributes(input({ channelType: 'email', caller: { [key]: value } }));
        assert.deepEqual({ ...OURS, channelType: 'email' }[key], out[key]);
      }
    });

  test('none of ours can be overridden, all at once', () => {
    const caller = { flexInteractionSid: 'a', flexInteractionChannelSid: 'b', flexChannelInviteSid: 'c', conversationSid: 'd', channelType: 'voice', conversations: { conversation_id: 'e', media: [] } };
    const out = taskAttributes(input({ channelType: 'chat', caller }));
    assert.deepEqual(out, { ...OURS, channelType: 'chat', customers: {}, conversations: { conversation_id: KD, media } });
  });

  test('customers: merged with ours, the caller winning on shared keys', () => {
    const out = taskAttributes(input({ channelType: 'sms', customer: { address: '+13115552368', name: 'Ann' }, caller: { customers: { name: 'Ann Smith', customer_id: 'C-42', email: 'ann@example.com' } } }));
    assert.deepEqual(out.customers, { phone: '+13115552368', name: 'Ann Smith', customer_id: 'C-42', email: 'ann@example.com' });
    const email = taskAttributes(input({ channelType: 'email', customer: { address: 'a@example.com' }, caller: { customers: { phone: '+1311' } } }));
    assert.deepEqual(email.customers, { email: 'a@example.com', phone: '+1311' });
    const chat = taskAttributes(input({ channelType: 'chat', customer: { address: 'id-1' }, caller: { customers: { identity: 'id-2' } } }));
    assert.deepEqual(chat.customers, { identity: 'id-2' });
  });

  test('customers that is not an object is replaced by ours', () => {
    for (const customers of ['Ann', 5, null, true, ['Ann'], []]) {
      const out = taskAttributes(input({ channelType: 'sms', customer: { address: '+1', name: 'Ann' }, caller: { customers } }));
      assert.deepEqual(out.customers, { phone: '+1', name: 'Ann' }, JSON.stringify(customers));
    }
  });

  test('conversations: merged with ours, conversation_id and media are ours', () => {
    const caller = { conversations: { conversation_id: 'mine', media: [{ type: 'Other' }], external_contact: 'x', conversation_attribute_1: 'campaign', abandoned: 'No' } };
    const out = taskAttributes(input({ initiatedBy: 'customer', caller }));
    assert.deepEqual(out.conversations, { conversation_id: KD, media, external_contact: 'x', conversation_attribute_1: 'campaign', abandoned: 'No', initiated_by: 'customer' });
  });

  test('conversations that is not an object is replaced by ours', () => {
    for (const conversations of ['x', 1, null, false, [{ a: 1 }]]) {
      const out = taskAttributes(input({ caller: { conversations } }));
      assert.deepEqual(out.conversations, { conversation_id: KD, media }, JSON.stringify(conversations));
    }
  });

  test('the caller object is not changed, nor its customers or conversations', () => {
    const caller = { a: 1, customers: { name: 'x' }, conversations: { y: 2 }, flexInteractionSid: 'forged' };
    const copy = structuredClone(caller);
    const out = taskAttributes(input({ initiatedBy: 'api', customer: { address: '+1', name: 'n' }, caller }));
    assert.deepEqual(caller, copy);
    assert.notEqual(out.customers, caller.customers);
    assert.notEqual(out.conversations, caller.conversations);
  });

  test('each call has its own media array', () => {
    const a = taskAttributes(input());
    const b = taskAttributes(input());
    assert.notEqual((a.conversations as Obj).media, (b.conversations as Obj).media);
  });
});

describe('taskAttributes: extra keys of our own', () => {
  test('win over the caller, lose to the keys that tie the task to its interaction', () => {
    const out = taskAttributes(
      input({
        caller: { transferTargetSid: 'caller', keep: 1 },
        extra: { transferTargetSid: 'WK' + 'b'.repeat(32), transferType: 'warm', flexInteractionSid: 'extra', conversations: { x: 1 } },
      }),
    );
    assert.equal(out.transferTargetSid, 'WK' + 'b'.repeat(32));
    assert.equal(out.transferType, 'warm');
    assert.equal(out.keep, 1);
    assert.equal(out.flexInteractionSid, KD);
    assert.deepEqual(out.conversations, { conversation_id: KD, media });
  });

  test('undefined extra keys are left out', () => {
    const out = taskAttributes(input({ extra: { transferTargetSid: undefined } }));
    assert.ok(!('transferTargetSid' in out));
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { TwilioError } from '../../src/core/errors.ts';
import { CHANNEL_TYPES, type ChannelType, type InitiatedBy } from '../../src/flex/model.ts';
import { parseInviteRouting, parseParticipant, parseRouting, planInteraction, routingObject, type SetupPlan } from '../../src/flex/plan.ts';

// The rules of POST /v1/Interactions' Channel and Routing JSON (and of the Invites' and
// Participants' sub-objects that reuse them), from the Flex Interactions reference.

const sidOf = (prefix: string, c = 'a') => prefix + c.repeat(32);
const WS = sidOf('WS');
const WW = sidOf('WW');
const WQ = sidOf('WQ');
const WK = sidOf('WK');
const TC = sidOf('TC');
const CH = sidOf('CH');
const UO = sidOf('UO');

const INITIATORS: InitiatedBy[] = ['customer', 'agent', 'api'];
const PHONE_LIKE: ChannelType[] = ['sms', 'whatsapp', 'messenger', 'gbm'];
const IDENTITY: ChannelType[] = ['chat', 'web'];
/** The prefix Conversations puts on each messaging channel's addresses (sms has none). */
const PREFIX: Record<string, string> = { sms: '', whatsapp: 'whatsapp:', messenger: 'messenger:', gbm: 'gbm:' };

type Obj = Record<string, unknown>;

/** The plan as it is stored (JSON): undefined fields are left out. */
const json = (v: unknown) => JSON.parse(JSON.stringify(v));

/** Runs fn and checks that it fails with a 400 / 20001 whose message names `field`. */
function rejects(fn: () => unknown, field: string, also?: RegExp) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof TwilioError, `expected a TwilioError, got ${err}`);
    assert.equal(err.code, 20001);
    assert.equal(err.status, 400);
    assert.ok(err.message.includes(field), `message ${JSON.stringify(err.message)} should name ${field}`);
    if (also) assert.match(err.message, also);
    return true;
  });
}

/** A valid participant of each channel type. */
function participant(type: ChannelType, n = 0): Obj {
  if (PHONE_LIKE.includes(type)) return { address: `${PREFIX[type]}+1311555${String(2368 + n).padStart(4, '0')}`, proxy_address: `${PREFIX[type]}+19255551234` };
  if (IDENTITY.includes(type)) return { identity: `customer-${n}` };
  return { address: `customer${n}@example.com`, level: 'to', name: `Customer ${n}` };
}

/** The least a valid request of this kind needs. */
function minimalChannel(type: ChannelType, initiatedBy: InitiatedBy): Obj {
  const channel: Obj = { type, initiated_by: initiatedBy };
  const properties: Obj = {};
  if (initiatedBy === 'customer') properties.media_channel_sid = CH;
  if (type === 'email' && initiatedBy !== 'customer') Object.assign(properties, { from: 'support@example.com', from_name: 'Example Support' });
  if (Object.keys(properties).length) channel.properties = properties;
  if (initiatedBy === 'agent') channel.participants = [participant(type)];
  return channel;
}

function minimalRouting(initiatedBy: InitiatedBy): Obj {
  const properties: Obj = { workspace_sid: WS };
  if (initiatedBy === 'agent') Object.assign(properties, { queue_sid: WQ, worker_sid: WK });
  return { properties };
}

/** A new interaction's plan, or a failed assertion. */
function planOf(channel: unknown, routing: unknown): SetupPlan {
  const request = planInteraction(channel, routing);
  assert.equal(request.kind, 'new');
  if (request.kind !== 'new') throw new Error('unreachable');
  return request.plan;
}

/** The channel with `patch` merged into it (undefined deletes a key). */
function withChannel(base: Obj, patch: Obj): Obj {
  const out = { ...base, ...patch };
  for (const [k, v] of Object.entries(patch)) if (v === undefined) delete out[k];
  return out;
}

/** Routing with `patch` merged into its properties (undefined deletes a key). */
function withProps(base: Obj, patch: Obj): Obj {
  const properties = { ...(base.properties as Obj), ...patch };
  for (const [k, v] of Object.entries(patch)) if (v === undefined) delete properties[k];
  return { ...base, properties };
}

const VALID_COMBINATIONS = CHANNEL_TYPES.flatMap((type) => INITIATORS.map((by) => [type, by] as const));

describe('planInteraction: every channel type × initiated_by', () => {
  test('seven channel types, three initiators', () => {
    assert.deepEqual([...CHANNEL_TYPES], ['sms', 'whatsapp', 'web', 'chat', 'email', 'messenger', 'gbm']);
    assert.equal(VALID_COMBINATIONS.length, 21);
  });

  for (const [type, by] of VALID_COMBINATIONS) {
    test(`${type} initiated by ${by}: the least it needs is accepted`, () => {
      const channel = minimalChannel(type, by);
      const plan = planOf(channel, minimalRouting(by));
      const expected: Obj = {
        type,
        initiatedBy: by,
        participants: by === 'agent' ? [json(parseParticipant(participant(type), type, 'p'))] : [],
        routing: { workspaceSid: WS, attributes: {} },
      };
      if (by === 'customer') expected.mediaChannelSid = CH;
      if (by === 'agent') Object.assign(expected.routing as Obj, { queueSid: WQ, workerSid: WK });
      if (type === 'email' && by !== 'customer') Object.assign(expected, { from: 'support@example.com', fromName: 'Example Support' });
      assert.deepEqual(json(plan), expected);
    });

    test(`${type} initiated by ${by}: everything optional given is kept`, () => {
      const participants = [participant(type, 0), participant(type, 1)];
      const channel: Obj = {
        type,
        initiated_by: by,
        properties: by === 'agent' ? { from: 'team@example.com', from_name: 'Team' } : { media_channel_sid: CH, from: 'team@example.com', from_name: 'Team' },
        participants,
      };
      const routing = {
        properties: {
          workspace_sid: WS,
          workflow_sid: WW,
          queue_sid: WQ,
          worker_sid: WK,
          task_channel_sid: TC,
          task_channel_unique_name: 'chat',
          attributes: { customerName: 'silly name', nested: { a: [1, 2] } },
          priority: 10,
          timeout: 3600,
        },
      };
      const plan = planOf(channel, routing);
      assert.equal(plan.type, type);
      assert.equal(plan.initiatedBy, by);
      assert.equal(plan.mediaChannelSid, by === 'agent' ? undefined : CH);
      assert.equal(plan.from, 'team@example.com');
      assert.equal(plan.fromName, 'Team');
      assert.deepEqual(plan.participants, participants.map((p, i) => parseParticipant(p, type, `Channel.participants[${i}]`)));
      assert.deepEqual(plan.routing, {
        workspaceSid: WS,
        workflowSid: WW,
        queueSid: WQ,
        workerSid: WK,
        taskChannelSid: TC,
        taskChannelUniqueName: 'chat',
        attributes: { customerName: 'silly name', nested: { a: [1, 2] } },
        priority: 10,
        timeout: 3600,
      });
    });
  }

  test("the reference's examples: outbound SMS by an agent, SMS prompted through the API", () => {
    const agent = planOf(
      { type: 'sms', initiated_by: 'agent', participants: [{ address: '+13115552368', proxy_address: '+192555512345' }] },
      {
        properties: {
          workspace_sid: WS,
          workflow_sid: WW,
          queue_sid: WQ,
          worker_sid: WK,
          task_channel_unique_name: 'sms',
          attributes: { customerName: 'silly name', customerAddress: '+13115552368' },
        },
      },
    );
    assert.deepEqual(json(agent), {
      type: 'sms',
      initiatedBy: 'agent',
      participants: [{ address: '+13115552368', proxyAddress: '+192555512345' }],
      routing: {
        workspaceSid: WS,
        workflowSid: WW,
        queueSid: WQ,
        workerSid: WK,
        taskChannelUniqueName: 'sms',
        attributes: { customerName: 'silly name', customerAddress: '+13115552368' },
      },
    });
    const api = planOf(
      { type: 'sms', initiated_by: 'api', participants: [{ address: '+13115552368', proxy_address: '+192555512345' }] },
      { properties: { workspace_sid: WS, workflow_sid: WW, task_channel_unique_name: 'sms', attributes: { from: 'testname', customerName: 'testcustomer' } } },
    );
    assert.equal(api.initiatedBy, 'api');
    assert.equal(api.routing.queueSid, undefined);
    assert.equal(api.routing.workerSid, undefined);
    assert.deepEqual(api.routing.attributes, { from: 'testname', customerName: 'testcustomer' });
  });

  test('api-initiated: media_channel_sid and participants are both optional (a new conversation is made)', () => {
    for (const type of CHANNEL_TYPES) {
      const plan = planOf(withChannel(minimalChannel(type, 'api'), { participants: undefined }), minimalRouting('api'));
      assert.equal(plan.mediaChannelSid, undefined);
      assert.deepEqual(plan.participants, []);
      const bound = planOf(withChannel(minimalChannel(type, 'api'), { properties: { ...(minimalChannel(type, 'api').properties as Obj), media_channel_sid: CH } }), minimalRouting('api'));
      assert.equal(bound.mediaChannelSid, CH);
    }
  });

  test('customer-initiated: participants are optional, and may be given', () => {
    for (const type of CHANNEL_TYPES) {
      assert.deepEqual(planOf(minimalChannel(type, 'customer'), minimalRouting('customer')).participants, []);
      const plan = planOf(withChannel(minimalChannel(type, 'customer'), { participants: [participant(type)] }), minimalRouting('customer'));
      assert.equal(plan.participants.length, 1);
    }
  });

  test('customer-initiated email needs no from / from_name, but keeps them when given', () => {
    const plan = planOf(minimalChannel('email', 'customer'), minimalRouting('customer'));
    assert.equal(plan.from, undefined);
    assert.equal(plan.fromName, undefined);
  });

  test('from / from_name on a non-email channel are kept, not required', () => {
    for (const type of CHANNEL_TYPES.filter((t) => t !== 'email')) {
      assert.equal(planOf(minimalChannel(type, 'api'), minimalRouting('api')).from, undefined);
      const plan = planOf(withChannel(minimalChannel(type, 'api'), { properties: { from: 'x', from_name: 'y' } }), minimalRouting('api'));
      assert.equal(plan.from, 'x');
      assert.equal(plan.fromName, 'y');
    }
  });

  test('null optional members count as absent', () => {
    const plan = planOf({ type: 'sms', initiated_by: 'api', properties: null, participants: null, sid: null }, { properties: { workspace_sid: WS, workflow_sid: null, attributes: null, priority: null, timeout: null } });
    assert.deepEqual(json(plan), { type: 'sms', initiatedBy: 'api', participants: [], routing: { workspaceSid: WS, attributes: {} } });
  });

  test('unknown members of Channel, properties, participants and Routing are ignored', () => {
    const plan = planOf(
      { type: 'sms', initiated_by: 'api', whatever: 1, properties: { other: true }, participants: [{ ...participant('sms'), identity: 'x', level: 'cc', extra: 1 }] },
      { other: 'x', properties: { workspace_sid: WS, unknown_property: 'y' } },
    );
    assert.deepEqual(json(plan.participants), [{ address: '+13115552368', proxyAddress: '+19255551234' }]);
    assert.deepEqual(json(plan.routing), { workspaceSid: WS, attributes: {} });
  });

  test('the inputs are not changed', () => {
    const channel = minimalChannel('email', 'agent');
    const routing = { properties: { ...(minimalRouting('agent').properties as Obj), attributes: '{"a":1}' } };
    const before = [structuredClone(channel), structuredClone(routing)];
    planInteraction(channel, routing);
    assert.deepEqual([channel, routing], before);
  });
});

describe('planInteraction: Channel and Routing must be JSON objects', () => {
  for (const bad of [undefined, null, 'sms', '{"type":"sms"}', 5, true, [], [{ type: 'sms' }]])
    test(`Channel ${JSON.stringify(bad)}`, () => rejects(() => planInteraction(bad, minimalRouting('api')), 'Channel'));

  for (const bad of [null, 'x', '{"properties":{}}', 0, false, [], [minimalRouting('api')]]) {
    test(`Routing ${JSON.stringify(bad)}`, () => rejects(() => planInteraction(minimalChannel('sms', 'api'), bad), 'Routing'));
    test(`Routing ${JSON.stringify(bad)} with an existing Channel.sid`, () => rejects(() => planInteraction({ sid: UO }, bad), 'Routing'));
  }

  test('Routing may be left out only when Channel.sid names a channel', () => {
    for (const [type, by] of VALID_COMBINATIONS) rejects(() => planInteraction(minimalChannel(type, by), undefined), 'Routing');
  });
});

describe('planInteraction: Channel.type and Channel.initiated_by', () => {
  const base = minimalChannel('sms', 'api');
  const routing = minimalRouting('api');
  const BAD_TEXT: [string, unknown][] = [
    ['missing', undefined],
    ['null', null],
    ['empty', ''],
    ['blank', '   '],
    ['a number', 1],
    ['a boolean', true],
    ['an object', { value: 'sms' }],
    ['an array', ['sms']],
    ['257 characters', 'x'.repeat(257)],
  ];
  for (const [what, value] of BAD_TEXT) {
    test(`type ${what}`, () => rejects(() => planInteraction(withChannel(base, { type: value }), routing), 'Channel.type'));
    test(`initiated_by ${what}`, () => rejects(() => planInteraction(withChannel(base, { initiated_by: value }), routing), 'Channel.initiated_by'));
  }
  for (const value of ['SMS', 'Sms', ' sms', 'sms ', 'voice', 'facebook', 'text', 'webchat', 'mms', 'rcs', 'x'.repeat(256)])
    test(`type '${value.slice(0, 20)}' is not one of the seven`, () => rejects(() => planInteraction(withChannel(base, { type: value }), routing), 'Channel.type', /sms, whatsapp, web, chat, email, messenger, gbm/));
  for (const value of ['Customer', 'AGENT', 'system', 'worker', 'inbound', 'outbound', 'api '])
    test(`initiated_by '${value}' is not customer, agent or api`, () => rejects(() => planInteraction(withChannel(base, { initiated_by: value }), routing), 'Channel.initiated_by', /customer, agent, api/));
});

describe('planInteraction: Channel.properties', () => {
  for (const bad of ['x', 5, true, [], [CH]])
    test(`properties ${JSON.stringify(bad)}`, () => rejects(() => planInteraction(withChannel(minimalChannel('sms', 'api'), { properties: bad }), minimalRouting('api')), 'Channel.properties'));

  const BAD_CH = ['', ' ', 5, sidOf('CA'), sidOf('UO'), sidOf('CH').toLowerCase(), 'CH' + 'a'.repeat(31), 'CH' + 'a'.repeat(33), 'CH' + 'g'.repeat(32), ` ${CH}`, 'x'.repeat(257)];
  for (const bad of BAD_CH)
    for (const by of ['customer', 'api'] as const)
      test(`media_channel_sid ${JSON.stringify(bad).slice(0, 40)} (${by})`, () => {
        const channel = withChannel(minimalChannel('sms', by), { properties: { media_channel_sid: bad } });
        rejects(() => planInteraction(channel, minimalRouting(by)), 'Channel.properties.media_channel_sid');
      });

  test('media_channel_sid: a CH SID, its hex digits in either case', () => {
    for (const ch of [CH, 'CH' + 'ABCDEF0123456789'.repeat(2), 'CH' + '0123456789abcdef'.repeat(2)])
      assert.equal(planOf(withChannel(minimalChannel('sms', 'customer'), { properties: { media_channel_sid: ch } }), minimalRouting('customer')).mediaChannelSid, ch);
  });

  for (const type of CHANNEL_TYPES) {
    test(`${type} initiated by customer needs media_channel_sid`, () => {
      for (const properties of [undefined, null, {}, { media_channel_sid: null }, { from: 'a@b.c', from_name: 'x' }])
        rejects(() => planInteraction(withChannel(minimalChannel(type, 'customer'), { properties }), minimalRouting('customer')), 'Channel.properties.media_channel_sid', /customer/);
    });

    test(`${type} initiated by agent starts a new conversation: media_channel_sid is refused`, () => {
      const channel = minimalChannel(type, 'agent');
      const properties = { ...((channel.properties as Obj) ?? {}), media_channel_sid: CH };
      rejects(() => planInteraction({ ...channel, properties }, minimalRouting('agent')), 'Channel.properties.media_channel_sid', /agent/);
    });

    test(`${type} initiated by agent needs participants`, () => {
      for (const participants of [undefined, null, []])
        rejects(() => planInteraction(withChannel(minimalChannel(type, 'agent'), { participants }), minimalRouting('agent')), 'Channel.participants', /agent/);
    });

    test(`${type} initiated by agent needs Routing.properties.worker_sid and queue_sid`, () => {
      const channel = minimalChannel(type, 'agent');
      for (const missing of [undefined, null]) {
        rejects(() => planInteraction(channel, withProps(minimalRouting('agent'), { worker_sid: missing })), 'Routing.properties.worker_sid', /agent/);
        rejects(() => planInteraction(channel, withProps(minimalRouting('agent'), { queue_sid: missing })), 'Routing.properties.queue_sid', /agent/);
      }
      // A workflow does not stand in for either.
      rejects(() => planInteraction(channel, { properties: { workspace_sid: WS, workflow_sid: WW, queue_sid: WQ } }), 'Routing.properties.worker_sid');
      rejects(() => planInteraction(channel, { properties: { workspace_sid: WS, workflow_sid: WW, worker_sid: WK } }), 'Routing.properties.queue_sid');
    });
  }

  for (const by of ['agent', 'api'] as const) {
    test(`email initiated by ${by} needs from and from_name`, () => {
      const channel = minimalChannel('email', by);
      const props = channel.properties as Obj;
      const routing = minimalRouting(by);
      for (const missing of [undefined, null]) {
        rejects(() => planInteraction({ ...channel, properties: { ...props, from: missing } }, routing), 'Channel.properties.from');
        rejects(() => planInteraction({ ...channel, properties: { ...props, from_name: missing } }, routing), 'Channel.properties.from_name');
      }
      rejects(() => planInteraction(withChannel(channel, { properties: undefined }), routing), 'Channel.properties.from');
    });

    test(`email initiated by ${by}: from is an email address`, () => {
      const channel = minimalChannel('email', by);
      const props = channel.properties as Obj;
      for (const from of ['support', 'support.example.com', '+13115552368'])
        rejects(() => planInteraction({ ...channel, properties: { ...props, from } }, minimalRouting(by)), 'Channel.properties.from', /email address/);
      for (const [key, bad] of [['from', ''], ['from', ' '], ['from', 7], ['from_name', ''], ['from_name', {}], ['from', `${'a'.repeat(245)}@example.com`], ['from_name', 'n'.repeat(257)]] as const)
        rejects(() => planInteraction({ ...channel, properties: { ...props, [key]: bad } }, minimalRouting(by)), `Channel.properties.${key}`);
      const long = `${'a'.repeat(244)}@example.com`;
      assert.equal(long.length, 256);
      const plan = planOf({ ...channel, properties: { ...props, from: long, from_name: 'n'.repeat(256) } }, minimalRouting(by));
      assert.equal(plan.from, long);
      assert.equal(plan.fromName, 'n'.repeat(256));
    });
  }

  test('from and from_name are strings wherever they are given', () => {
    for (const [key, bad] of [['from', ''], ['from', 5], ['from_name', '  '], ['from_name', ['x']], ['from', 'f'.repeat(257)]] as const)
      for (const [type, by] of VALID_COMBINATIONS) {
        const channel = minimalChannel(type, by);
        rejects(() => planInteraction({ ...channel, properties: { ...((channel.properties as Obj) ?? {}), [key]: bad } }, minimalRouting(by)), `Channel.properties.${key}`);
      }
  });
});

describe('planInteraction: Channel.participants', () => {
  for (const bad of [{}, 'x', 5, true, participant('sms')])
    test(`participants ${JSON.stringify(bad)} is not an array`, () =>
      rejects(() => planInteraction(withChannel(minimalChannel('sms', 'api'), { participants: bad }), minimalRouting('api')), 'Channel.participants', /array/));

  for (const [type, by] of VALID_COMBINATIONS) {
    test(`${type} / ${by}: 50 participants, not 51`, () => {
      const fifty = Array.from({ length: 50 }, (_, i) => participant(type, i));
      assert.equal(planOf(withChannel(minimalChannel(type, by), { participants: fifty }), minimalRouting(by)).participants.length, 50);
      const more = [...fifty, participant(type, 50)];
      rejects(() => planInteraction(withChannel(minimalChannel(type, by), { participants: more }), minimalRouting(by)), 'Channel.participants', /50/);
    });
  }

  test('each participant is checked, and the error says which', () => {
    for (const type of CHANNEL_TYPES) {
      const list = [participant(type, 0), participant(type, 1), participant(type, 2), 'nope'];
      rejects(() => planInteraction(withChannel(minimalChannel(type, 'api'), { participants: list }), minimalRouting('api')), 'Channel.participants[3]');
      const key = IDENTITY.includes(type) ? 'identity' : 'address';
      const missing = [participant(type, 0), { ...participant(type, 1), [key]: undefined }];
      rejects(() => planInteraction(withChannel(minimalChannel(type, 'api'), { participants: missing }), minimalRouting('api')), `Channel.participants[1].${key}`);
    }
  });

  test('a participant of another channel type is refused', () => {
    for (const type of CHANNEL_TYPES)
      for (const other of CHANNEL_TYPES) {
        const p = participant(other);
        const fits = (PHONE_LIKE.includes(type) && PREFIX[type] === PREFIX[other]) || (IDENTITY.includes(type) && IDENTITY.includes(other)) || (type === 'email' && other === 'email');
        const attempt = () => planInteraction(withChannel(minimalChannel(type, 'agent'), { participants: [p] }), minimalRouting('agent'));
        if (fits) assert.equal((attempt() as { plan: SetupPlan }).plan.participants.length, 1, `${other} participant on ${type}`);
        else rejects(attempt, 'Channel.participants[0]');
      }
  });
});

describe('parseParticipant', () => {
  const where = 'MediaProperties';

  for (const bad of [undefined, null, 'x', 5, [], [participant('sms')]])
    for (const type of CHANNEL_TYPES)
      test(`${type}: ${JSON.stringify(bad)} is not a JSON object`, () => rejects(() => parseParticipant(bad, type, where), where, /object/));

  for (const type of PHONE_LIKE) {
    const prefix = PREFIX[type];
    test(`${type}: address and proxy_address`, () => {
      assert.deepEqual(json(parseParticipant({ address: `${prefix}+13115552368`, proxy_address: `${prefix}+19255551234` }, type, where)), {
        address: `${prefix}+13115552368`,
        proxyAddress: `${prefix}+19255551234`,
      });
      assert.deepEqual(parseParticipant({ address: `${prefix}+1`, proxy_address: `${prefix}+2`, name: 'Alice' }, type, where), {
        address: `${prefix}+1`,
        proxyAddress: `${prefix}+2`,
        name: 'Alice',
      });
    });

    test(`${type}: both addresses are required and are non-empty strings of at most 256 characters`, () => {
      const good = { address: `${prefix}+13115552368`, proxy_address: `${prefix}+19255551234` };
      for (const key of ['address', 'proxy_address'])
        for (const bad of [undefined, null, '', '  ', 13115552368, true, {}, [`${prefix}+1`], prefix + '1'.repeat(257 - prefix.length)])
          rejects(() => parseParticipant({ ...good, [key]: bad }, type, where), `${where}.${key}`);
      for (const key of ['address', 'proxy_address']) {
        const long = prefix + '1'.repeat(256 - prefix.length);
        assert.equal((parseParticipant({ ...good, [key]: long }, type, where) as Obj)[key === 'address' ? 'address' : 'proxyAddress'], long);
      }
    });

    if (prefix) {
      test(`${type}: both addresses start with '${prefix}' (in any case)`, () => {
        for (const key of ['address', 'proxy_address'])
          for (const bad of ['+13115552368', 'sms:+13115552368', `${prefix.slice(0, -1)}+1311`, `${prefix.slice(0, -1)}-+1311`, ` ${prefix}+1311`, ...Object.values(PREFIX).filter((p) => p && p !== prefix).map((p) => `${p}+1311`)])
            rejects(() => parseParticipant({ address: `${prefix}+1`, proxy_address: `${prefix}+2`, [key]: bad }, type, where), `${where}.${key}`, new RegExp(prefix));
        const upper = prefix.toUpperCase();
        assert.deepEqual(parseParticipant({ address: `${upper}+1`, proxy_address: `${prefix}+2` }, type, where), { address: `${upper}+1`, proxyAddress: `${prefix}+2`, name: undefined });
      });
    } else {
      test('sms: addresses carry no channel prefix', () => {
        for (const key of ['address', 'proxy_address'])
          for (const bad of ['whatsapp:+13115552368', 'messenger:123', 'gbm:abc', 'sms:+1311', 'SMS:+1311', 'tel:+1311'])
            rejects(() => parseParticipant({ address: '+1', proxy_address: '+2', [key]: bad }, 'sms', where), `${where}.${key}`, /prefix/);
        // Short codes and alphanumeric senders are addresses too.
        assert.deepEqual(json(parseParticipant({ address: '+13115552368', proxy_address: '12345' }, 'sms', where)), { address: '+13115552368', proxyAddress: '12345' });
        assert.deepEqual(json(parseParticipant({ address: '+13115552368', proxy_address: 'Switchyard' }, 'sms', where)), { address: '+13115552368', proxyAddress: 'Switchyard' });
      });
    }

    test(`${type}: identity and level are not ${type} fields (ignored)`, () => {
      assert.deepEqual(json(parseParticipant({ address: `${prefix}+1`, proxy_address: `${prefix}+2`, identity: 'bob', level: 'bcc' }, type, where)), { address: `${prefix}+1`, proxyAddress: `${prefix}+2` });
    });
  }

  for (const type of IDENTITY) {
    test(`${type}: identity`, () => {
      assert.deepEqual(parseParticipant({ identity: 'customer-1' }, type, where), { identity: 'customer-1', name: undefined });
      assert.deepEqual(parseParticipant({ identity: 'customer-1', name: 'Bob', address: '+1', proxy_address: '+2' }, type, where), { identity: 'customer-1', name: 'Bob' });
      assert.equal(parseParticipant({ identity: 'i'.repeat(256) }, type, where).identity, 'i'.repeat(256));
    });

    test(`${type}: identity is required and is a non-empty string of at most 256 characters`, () => {
      for (const bad of [undefined, null, '', ' ', 42, false, {}, ['a'], 'i'.repeat(257)]) rejects(() => parseParticipant({ identity: bad }, type, where), `${where}.identity`);
      rejects(() => parseParticipant({ address: '+13115552368', proxy_address: '+19255551234' }, type, where), `${where}.identity`);
    });
  }

  test('email: address and level (to, cc or bcc; to when left out)', () => {
    assert.deepEqual(parseParticipant({ address: 'a@example.com' }, 'email', where), { address: 'a@example.com', level: 'to', name: undefined });
    assert.deepEqual(parseParticipant({ address: 'a@example.com', level: null }, 'email', where), { address: 'a@example.com', level: 'to', name: undefined });
    for (const level of ['to', 'cc', 'bcc'] as const)
      assert.deepEqual(parseParticipant({ address: 'a@example.com', level, name: 'Ann' }, 'email', where), { address: 'a@example.com', level, name: 'Ann' });
    const long = `${'a'.repeat(244)}@example.com`;
    assert.equal(parseParticipant({ address: long }, 'email', where).address, long);
  });

  test('email: address is required, a string with @, of at most 256 characters', () => {
    for (const bad of [undefined, null, '', ' ', 5, {}, ['a@b.c'], `${'a'.repeat(245)}@example.com`]) rejects(() => parseParticipant({ address: bad }, 'email', where), `${where}.address`);
    for (const bad of ['alice', 'alice.example.com', '+13115552368'])
      rejects(() => parseParticipant({ address: bad }, 'email', where), `${where}.address`, /email address/);
    rejects(() => parseParticipant({ identity: 'a@example.com' }, 'email', where), `${where}.address`);
  });

  test('email: level is to, cc or bcc', () => {
    for (const bad of ['from', 'TO', 'Cc', 'reply-to', ' to', '', 1, true, ['to']]) rejects(() => parseParticipant({ address: 'a@example.com', level: bad }, 'email', where), `${where}.level`);
  });

  for (const type of CHANNEL_TYPES)
    test(`${type}: name, when given, is a non-empty string of at most 256 characters`, () => {
      const p = participant(type);
      assert.equal(parseParticipant({ ...p, name: 'n'.repeat(256) }, type, where).name, 'n'.repeat(256));
      assert.equal(parseParticipant({ ...p, name: 'Ünïcødé Ñame' }, type, where).name, 'Ünïcødé Ñame');
      assert.equal(parseParticipant({ ...p, name: null }, type, where).name, undefined);
      for (const bad of ['', '  ', 5, {}, ['x'], 'n'.repeat(257)]) rejects(() => parseParticipant({ ...p, name: bad }, type, where), `${where}.name`);
    });

  test('the error names the place given by the caller', () => {
    rejects(() => parseParticipant({}, 'chat', 'Somewhere[7]'), 'Somewhere[7].identity');
    rejects(() => parseParticipant({ address: 'x' }, 'sms', 'Channel.participants[2]'), 'Channel.participants[2].proxy_address');
  });
});

describe('parseRouting', () => {
  const W = 'Routing';
  const P = 'Routing.properties';
  const props = (p: Obj) => parseRouting({ properties: { workspace_sid: WS, ...p } }, W);

  test('workspace_sid alone is enough', () => {
    assert.deepEqual(json(parseRouting({ properties: { workspace_sid: WS } }, W)), { workspaceSid: WS, attributes: {} });
  });

  for (const bad of [undefined, null, 'x', 5, [], [{ workspace_sid: WS }], JSON.stringify({ workspace_sid: WS })])
    test(`properties ${JSON.stringify(bad)}`, () => rejects(() => parseRouting({ properties: bad }, W), P, /workspace_sid/));

  test('workspace_sid is required', () => {
    for (const missing of [undefined, null]) rejects(() => parseRouting({ properties: { workspace_sid: missing, workflow_sid: WW } }, W), `${P}.workspace_sid`, /Missing/);
  });

  const SIDS: [string, string, keyof ReturnType<typeof parseRouting>][] = [
    ['workspace_sid', 'WS', 'workspaceSid'],
    ['workflow_sid', 'WW', 'workflowSid'],
    ['queue_sid', 'WQ', 'queueSid'],
    ['worker_sid', 'WK', 'workerSid'],
    ['task_channel_sid', 'TC', 'taskChannelSid'],
  ];
  for (const [key, prefix, field] of SIDS) {
    test(`${key} is a ${prefix} SID`, () => {
      for (const good of [sidOf(prefix), sidOf(prefix, 'F'), prefix + '0123456789abcdefABCDEF0123456789'])
        assert.equal(props({ [key]: good })[field], good);
      const others = ['WS', 'WW', 'WQ', 'WK', 'TC', 'CH', 'UO', 'WT', 'WR'].filter((p) => p !== prefix).map((p) => sidOf(p));
      for (const bad of [...others, '', ' ', 5, true, {}, [sidOf(prefix)], sidOf(prefix).toLowerCase(), prefix.toLowerCase() + 'a'.repeat(32), prefix + 'a'.repeat(31), prefix + 'a'.repeat(33), prefix + 'z'.repeat(32), `${sidOf(prefix)} `, 'default', 'x'.repeat(257)])
        rejects(() => props({ [key]: bad }), `${P}.${key}`);
      rejects(() => props({ [key]: sidOf(prefix === 'WQ' ? 'WK' : 'WQ') }), `${P}.${key}`, new RegExp(`not a ${prefix} SID`));
    });
  }

  test('task_channel_unique_name: any non-empty string of at most 256 characters', () => {
    for (const name of ['default', 'sms', 'chat', 'voice', 'custom-channel', 'u'.repeat(256)]) assert.equal(props({ task_channel_unique_name: name }).taskChannelUniqueName, name);
    for (const bad of ['', '  ', 5, {}, ['sms'], 'u'.repeat(257)]) rejects(() => props({ task_channel_unique_name: bad }), `${P}.task_channel_unique_name`);
  });

  test('attributes: a JSON object, kept as given', () => {
    const attributes = { customerName: 'silly name', n: 1, deep: { list: [1, { x: null }] }, flag: false };
    assert.deepEqual(props({ attributes }).attributes, attributes);
    assert.deepEqual(props({ attributes: {} }).attributes, {});
    assert.deepEqual(props({}).attributes, {});
    assert.deepEqual(props({ attributes: null }).attributes, {});
  });

  test('attributes: or a string holding a JSON object', () => {
    assert.deepEqual(props({ attributes: '{"customerName":"silly name","n":1}' }).attributes, { customerName: 'silly name', n: 1 });
    assert.deepEqual(props({ attributes: ' { } ' }).attributes, {});
  });

  test('attributes: anything else is refused', () => {
    for (const bad of ['{', 'not json', "{'a':1}", '{"a":1,}', '', '   '])
      rejects(() => props({ attributes: bad }), `${P}.attributes`, /JSON/);
    for (const bad of [[], [{ a: 1 }], 5, true, '[]', '[1]', '"text"', '5', 'null', 'true'])
      rejects(() => props({ attributes: bad }), `${P}.attributes`, /object/);
  });

  const INTEGERS: [string, number, number][] = [
    ['priority', 0, 2 ** 31 - 1],
    ['timeout', 1, 1_209_600],
  ];
  for (const [key, min, max] of INTEGERS) {
    test(`${key}: an integer from ${min} to ${max}`, () => {
      for (const good of [min, min + 1, 10, 86_400, max - 1, max]) assert.equal(props({ [key]: good })[key as 'priority'], good);
      assert.equal(props({ [key]: 5.0 })[key as 'priority'], 5);
      assert.equal(props({ [key]: null })[key as 'priority'], undefined);
      assert.equal(props({})[key as 'priority'], undefined);
    });

    test(`${key}: numeric strings count (the reference's examples write "10")`, () => {
      for (const [given, expected] of [[String(min), min], [String(max), max], ['10', 10], [' 10 ', 10], ['007', 7]] as const)
        assert.strictEqual(props({ [key]: given })[key as 'priority'], expected);
    });

    test(`${key}: out of range or not an integer`, () => {
      for (const bad of [min - 1, max + 1, -1, min - 0.5, 1.5, max + 0.5, 2 ** 53, Infinity, -Infinity, NaN, String(min - 1), String(max + 1), '99999999999999999999', '1.5', '1e3', '+10', '0x10', '10s', 'ten', '', ' ', true, false, {}, [10]])
        rejects(() => props({ [key]: bad }), `${P}.${key}`, new RegExp(`from ${min} to ${max}`));
    });
  }

  test('timeout: at most two weeks, the TaskRouter limit for a task', () => {
    const day = 24 * 3600;
    assert.equal(props({ timeout: 14 * day }).timeout, 1_209_600);
    rejects(() => props({ timeout: 14 * day + 1 }), `${P}.timeout`);
    rejects(() => props({ timeout: 0 }), `${P}.timeout`);
  });

  test('priority: 0 and 2^31 - 1', () => {
    assert.equal(props({ priority: 0 }).priority, 0);
    assert.equal(props({ priority: 2_147_483_647 }).priority, 2_147_483_647);
    rejects(() => props({ priority: 2_147_483_648 }), `${P}.priority`);
    rejects(() => props({ priority: '2147483648' }), `${P}.priority`);
    rejects(() => props({ priority: -1 }), `${P}.priority`);
  });

  test('the error names the place given by the caller', () => {
    rejects(() => parseRouting({ properties: { workspace_sid: 'x' } }, 'RoutingOfInvite'), 'RoutingOfInvite.properties.workspace_sid');
    rejects(() => parseRouting({}, 'Elsewhere'), 'Elsewhere.properties');
  });

  test('members of Routing outside properties are ignored', () => {
    assert.deepEqual(json(parseRouting({ properties: { workspace_sid: WS }, workspace_sid: 'bad', attributes: 'bad', type: 'TaskRouter' }, W)), { workspaceSid: WS, attributes: {} });
  });
});

describe('planInteraction: Channel.sid names an existing channel', () => {
  test('without Routing: another task for the channel, routed as its first was', () => {
    assert.deepEqual(planInteraction({ sid: UO }, undefined), { kind: 'existing', channelSid: UO, routing: undefined });
  });

  test('with Routing: the routing is checked and returned', () => {
    const request = planInteraction({ sid: UO }, { properties: { workspace_sid: WS, queue_sid: WQ, priority: '5', attributes: '{"a":1}' } });
    assert.equal(request.kind, 'existing');
    assert.deepEqual(json(request), { kind: 'existing', channelSid: UO, routing: { workspaceSid: WS, queueSid: WQ, priority: 5, attributes: { a: 1 } } });
  });

  test('the rest of Channel is not looked at', () => {
    for (const rest of [{}, { type: 'voice' }, { type: 'sms', initiated_by: 'nobody' }, { type: 'sms', initiated_by: 'agent' }, { properties: 'x', participants: 5 }])
      assert.deepEqual(planInteraction({ ...rest, sid: UO }, undefined), { kind: 'existing', channelSid: UO, routing: undefined });
  });

  test('the Routing given is held to the usual rules', () => {
    rejects(() => planInteraction({ sid: UO }, {}), 'Routing.properties');
    rejects(() => planInteraction({ sid: UO }, { properties: {} }), 'Routing.properties.workspace_sid');
    rejects(() => planInteraction({ sid: UO }, { properties: { workspace_sid: WS, priority: -1 } }), 'Routing.properties.priority');
    rejects(() => planInteraction({ sid: UO }, { properties: { workspace_sid: WS, attributes: '[' } }), 'Routing.properties.attributes');
  });

  test('Channel.sid is a UO SID', () => {
    for (const bad of ['', ' ', 5, true, {}, [UO], sidOf('KD'), sidOf('CH'), sidOf('UT'), UO.toLowerCase(), 'UO' + 'a'.repeat(31), 'UO' + 'a'.repeat(33), 'UO' + 'x'.repeat(32), 'x'.repeat(257)]) {
      rejects(() => planInteraction({ sid: bad }, undefined), 'Channel.sid');
      rejects(() => planInteraction({ ...minimalChannel('sms', 'api'), sid: bad }, minimalRouting('api')), 'Channel.sid');
    }
  });

  test('Channel.sid null or absent: a new interaction', () => {
    assert.equal(planInteraction({ ...minimalChannel('sms', 'api'), sid: null }, minimalRouting('api')).kind, 'new');
    assert.equal(planInteraction({ ...minimalChannel('sms', 'api'), sid: undefined }, minimalRouting('api')).kind, 'new');
  });
});

describe('parseInviteRouting', () => {
  test("the workspace defaults to the channel's", () => {
    assert.deepEqual(json(parseInviteRouting({ properties: { queue_sid: WQ } }, WS)), { workspaceSid: WS, queueSid: WQ, attributes: {} });
    assert.deepEqual(json(parseInviteRouting({ properties: {} }, WS)), { workspaceSid: WS, attributes: {} });
  });

  test("the channel's workspace may be named; another is refused", () => {
    assert.equal(parseInviteRouting({ properties: { workspace_sid: WS, worker_sid: WK } }, WS).workspaceSid, WS);
    rejects(() => parseInviteRouting({ properties: { workspace_sid: sidOf('WS', 'b') } }, WS), 'Routing.properties.workspace_sid', new RegExp(WS));
    rejects(() => parseInviteRouting({ properties: { workspace_sid: sidOf('WW') } }, WS), 'Routing.properties.workspace_sid');
    rejects(() => parseInviteRouting({ properties: { workspace_sid: '' } }, WS), 'Routing.properties.workspace_sid');
  });

  test('everything else as in an interaction', () => {
    const plan = parseInviteRouting(
      { properties: { workflow_sid: WW, queue_sid: WQ, worker_sid: WK, task_channel_sid: TC, task_channel_unique_name: 'chat', attributes: '{"x":1}', priority: '3', timeout: 60 } },
      WS,
    );
    assert.deepEqual(plan, { workspaceSid: WS, workflowSid: WW, queueSid: WQ, workerSid: WK, taskChannelSid: TC, taskChannelUniqueName: 'chat', attributes: { x: 1 }, priority: 3, timeout: 60 });
    rejects(() => parseInviteRouting({ properties: { queue_sid: WW } }, WS), 'Routing.properties.queue_sid');
    rejects(() => parseInviteRouting({ properties: { timeout: 0 } }, WS), 'Routing.properties.timeout');
    rejects(() => parseInviteRouting({ properties: { attributes: 'x' } }, WS), 'Routing.properties.attributes');
  });

  for (const bad of [undefined, null, 'x', 5, [], [{ properties: {} }]])
    test(`Routing ${JSON.stringify(bad)}`, () => rejects(() => parseInviteRouting(bad, WS), 'Routing'));

  for (const bad of [undefined, null, 'x', 5, []])
    test(`Routing.properties ${JSON.stringify(bad)}`, () => rejects(() => parseInviteRouting({ properties: bad }, WS), 'Routing.properties'));

  test('the Routing given is not changed', () => {
    const routing = { properties: { queue_sid: WQ } };
    parseInviteRouting(routing, WS);
    assert.deepEqual(routing, { properties: { queue_sid: WQ } });
  });
});

describe('routingObject: what invites keep reads back as the same plan', () => {
  test('every field survives routingObject → JSON → parseInviteRouting', () => {
    const plan = parseRouting(
      {
        properties: {
          workspace_sid: 'WS' + 'a'.repeat(32),
          workflow_sid: 'WW' + 'b'.repeat(32),
          queue_sid: 'WQ' + 'c'.repeat(32),
          worker_sid: 'WK' + 'd'.repeat(32),
          task_channel_sid: 'TC' + 'e'.repeat(32),
          task_channel_unique_name: 'sms',
          attributes: { customerName: 'Ada', nested: { a: [1, 2] } },
          priority: 7,
          timeout: 600,
        },
      },
      'Routing',
    );
    const stored = JSON.parse(JSON.stringify(routingObject(plan)));
    assert.deepEqual(parseInviteRouting(stored, plan.workspaceSid), plan);
  });

  test('absent fields stay absent', () => {
    const plan = parseRouting({ properties: { workspace_sid: 'WS' + 'a'.repeat(32) } }, 'Routing');
    assert.deepEqual(routingObject(plan), { properties: { workspace_sid: 'WS' + 'a'.repeat(32), attributes: {} } });
    assert.deepEqual(parseInviteRouting(routingObject(plan), plan.workspaceSid), plan);
  });
});

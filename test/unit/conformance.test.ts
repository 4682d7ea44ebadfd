import assert, { AssertionError } from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  assertConforms,
  assertListConforms,
  checkList,
  checkResource,
  facts,
  listKeyFor,
  operationFor,
  schemaFor,
} from '../support/conformance.ts';

const WORKSPACE = 'taskrouter.v1.workspace';
const WORKER = 'taskrouter.v1.workspace.worker';
const ACTIVITY = 'taskrouter.v1.workspace.activity';
const TASK = 'taskrouter.v1.workspace.task';

const WS = 'WS' + 'a'.repeat(32);
const WK = 'WK' + 'b'.repeat(32);
const WA = 'WA' + 'c'.repeat(32);

/** Deep copy of the spec's own example for a schema (as stored in spec/facts.json). */
function example(schema: string): Record<string, unknown> {
  const ex = facts.examples[schema];
  assert.ok(ex, `spec/facts.json has an example for ${schema}`);
  return structuredClone(ex);
}

/** The spec's Workspace example, with its one non-conforming value fixed (see the oddity test below). */
function workspace(): Record<string, unknown> {
  return { ...example(WORKSPACE), event_callback_url: null };
}

function workerPage(items: unknown[]): Record<string, unknown> {
  const url = `https://taskrouter.twilio.com/v1/Workspaces/${WS}/Workers?PageSize=50&Page=0`;
  return {
    workers: items,
    meta: {
      page: 0,
      page_size: 50,
      first_page_url: url,
      previous_page_url: null,
      next_page_url: null,
      key: 'workers',
      url,
    },
  };
}

describe('spec/facts.json', () => {
  it('covers every operation of the four specs (flex v1 and v2 merged)', () => {
    const ops = (p: 'taskrouter' | 'flex' | 'conversations') =>
      Object.values(facts.products[p].paths).reduce((n, m) => n + Object.keys(m).length, 0);
    assert.equal(ops('taskrouter'), 61);
    assert.equal(ops('flex'), 76); // v1 73, v2 3
    assert.equal(ops('conversations'), 103);
  });

  it('records operation facts: status, params, body, schema, list key', () => {
    const list = facts.products.taskrouter.paths['/v1/Workspaces/{WorkspaceSid}/Workers'];
    assert.equal(list.GET.operationId, 'ListWorker');
    assert.equal(list.GET.status, 200);
    assert.equal(list.GET.listKey, 'workers');
    assert.equal(list.GET.schema, WORKER);
    assert.deepEqual(list.GET.pathParams, { WorkspaceSid: { type: 'string', sid: 'WS' } });
    assert.deepEqual(list.GET.query?.PageSize, { type: 'integer', format: 'int64', min: 1, max: 1000 });
    assert.equal(list.POST.status, 201);
    assert.equal(list.POST.bodyType, 'form');
    assert.deepEqual(list.POST.body?.FriendlyName, { type: 'string', required: true });
    const cwp = facts.products.conversations.paths['/v1/ConversationWithParticipants'].POST;
    assert.deepEqual(cwp.statuses, [201, 202]);
    assert.equal(facts.products.flex.paths['/v1/Interactions'].POST.status, 200);
    assert.equal(facts.products.taskrouter.paths['/v1/Workspaces/{Sid}'].DELETE.schema, undefined);
  });

  it('records field facts: types, formats, nullability, resolved enums, SID prefixes', () => {
    const ws = facts.products.taskrouter.schemas[WORKSPACE];
    assert.deepEqual(ws.sid, { type: 'string', nullable: true, sid: 'WS' });
    assert.deepEqual(ws.date_created, { type: 'string', format: 'date-time', nullable: true });
    assert.deepEqual(ws.links, { type: 'object', format: 'uri-map', nullable: true });
    assert.deepEqual(ws.prioritize_queue_order, {
      type: 'string',
      enum: ['FIFO', 'LIFO'],
      enumRef: 'workspace_enum_queue_order',
      nullable: true,
    });
    assert.deepEqual(facts.products.taskrouter.schemas[TASK].age, { type: 'integer' });
    assert.equal(facts.products.flex.schemas['flex.v1.interaction'].channel.type, 'any');
  });
});

describe('checkResource on the spec examples', () => {
  it('accepts the Workspace example (event_callback_url "" -> null)', () => {
    assert.deepEqual(checkResource(WORKSPACE, workspace()), []);
    assertConforms(WORKSPACE, workspace());
  });

  it('accepts the Worker and Activity examples as-is', () => {
    assert.deepEqual(checkResource(WORKER, example(WORKER)), []);
    assert.deepEqual(checkResource(ACTIVITY, example(ACTIVITY)), []);
  });

  it('accepts every other stored spec example, except two known spec oddities', () => {
    const failing: Record<string, string[]> = {};
    for (const [name, body] of Object.entries(facts.examples)) {
      const problems = checkResource(name, body);
      if (problems.length) failing[name] = problems;
    }
    assert.deepEqual(failing, {
      // Spec example sends "" for an unset uri field; a conforming server sends null.
      [WORKSPACE]: ['event_callback_url: expected an absolute http(s) URL, got ""'],
      // Spec example uses a PV prefix although the field pattern is ^FV….
      'flex.v1.plugin_configuration.configured_plugin': [
        'plugin_version_sid: expected a FV SID (^FV[0-9a-fA-F]{32}$), got "PVaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"',
      ],
    });
  });
});

describe('checkResource catches', () => {
  it('a missing field', () => {
    const body = example(WORKER);
    delete body.sid;
    assert.deepEqual(checkResource(WORKER, body), ['sid: missing field']);
  });

  it('an invented field', () => {
    assert.deepEqual(checkResource(WORKER, { ...example(WORKER), skills: ['en'] }), [
      `skills: unexpected field (not in ${WORKER})`,
    ]);
  });

  it('wrong types', () => {
    assert.deepEqual(checkResource(WORKER, { ...example(WORKER), available: 'true' }), [
      'available: expected boolean, got string "true"',
    ]);
    assert.deepEqual(checkResource(WORKER, { ...example(WORKER), attributes: { a: 1 } }), [
      'attributes: expected string, got object {"a":1}',
    ]);
    assert.deepEqual(checkResource(TASK, { ...example(TASK), age: '25200' }), [
      'age: expected integer, got string "25200"',
    ]);
    assert.deepEqual(checkResource(TASK, { ...example(TASK), priority: 1.5 }), [
      'priority: expected integer, got number 1.5',
    ]);
    assert.deepEqual(checkResource(WORKER, { ...example(WORKER), links: [] }), ['links: expected object, got array []']);
    assert.deepEqual(checkResource(WORKER, 'nope'), ['(body): expected a JSON object, got string "nope"']);
  });

  it('null in a non-nullable field, but allows null where nullable (including enum $ref fields)', () => {
    assert.deepEqual(checkResource(TASK, { ...example(TASK), age: null }), ['age: null but the field is not nullable']);
    assert.deepEqual(checkResource(WORKER, { ...example(WORKER), activity_sid: null, links: null }), []);
    assert.deepEqual(checkResource(WORKSPACE, { ...workspace(), prioritize_queue_order: null }), []);
  });

  it('a bad enum value', () => {
    assert.deepEqual(checkResource(WORKSPACE, { ...workspace(), prioritize_queue_order: 'fifo' }), [
      'prioritize_queue_order: "fifo" is not one of FIFO|LIFO',
    ]);
    assert.deepEqual(checkResource(TASK, { ...example(TASK), assignment_status: 'done' }), [
      'assignment_status: "done" is not one of pending|reserved|assigned|canceled|completed|wrapping',
    ]);
  });

  it('bad date-time formats', () => {
    for (const bad of [
      '2016-03-24T20:37:57.123Z', // fraction
      '2016-03-24T20:37:57+00:00', // offset instead of Z
      '2016-03-24 20:37:57Z',
      '2016-03-24',
      'Tue, 18 Aug 2015 08:46:56 +0000', // API 2010 RFC 2822
      '2016-13-24T20:37:57Z', // month 13
      '2016-02-30T20:37:57Z', // no such day
    ]) {
      assert.deepEqual(
        checkResource(WORKER, { ...example(WORKER), date_updated: bad }),
        [`date_updated: expected ISO-8601 UTC date-time without fraction (2016-03-24T20:37:57Z), got ${JSON.stringify(bad)}`],
        bad,
      );
    }
    assert.deepEqual(checkResource(WORKER, { ...example(WORKER), date_updated: 1464651159 }), [
      'date_updated: expected string, got integer 1464651159',
    ]);
  });

  it('a wrong SID prefix or malformed SID', () => {
    assert.deepEqual(checkResource(WORKER, { ...example(WORKER), activity_sid: WK }), [
      `activity_sid: expected a WA SID (^WA[0-9a-fA-F]{32}$), got "${WK}"`,
    ]);
    assert.deepEqual(checkResource(WORKER, { ...example(WORKER), sid: 'WK123' }), [
      'sid: expected a WK SID (^WK[0-9a-fA-F]{32}$), got "WK123"',
    ]);
    assert.deepEqual(checkResource(WORKER, { ...example(WORKER), sid: 'WK' + 'z'.repeat(32) }), [
      `sid: expected a WK SID (^WK[0-9a-fA-F]{32}$), got "WK${'z'.repeat(32)}"`,
    ]);
  });

  it('relative or non-http URLs in uri and uri-map fields', () => {
    assert.deepEqual(checkResource(WORKER, { ...example(WORKER), url: `/v1/Workspaces/${WS}/Workers/${WK}` }), [
      `url: expected an absolute http(s) URL, got "/v1/Workspaces/${WS}/Workers/${WK}"`,
    ]);
    const body = example(WORKER);
    (body.links as Record<string, unknown>).channels = 'ftp://example.com/x';
    assert.deepEqual(checkResource(WORKER, body), ['links.channels: expected an absolute http(s) URL, got "ftp://example.com/x"']);
    assert.deepEqual(checkResource(WORKER, { ...example(WORKER), url: 'http://localhost:3000/v1/x' }), []);
  });

  it('accepts anything in untyped (any) fields', () => {
    const name = 'flex.v1.interaction';
    for (const channel of [{ type: 'sms' }, [1, 2], 'x', 3, null]) {
      assert.deepEqual(checkResource(name, { ...example(name), channel }), []);
    }
  });

  it('reports several problems at once, and assertConforms lists them all', () => {
    const body = example(ACTIVITY);
    delete body.url;
    body.available = 'yes';
    body.extra = 1;
    const problems = checkResource(ACTIVITY, body);
    assert.deepEqual(problems, [
      'available: expected boolean, got string "yes"',
      'url: missing field',
      `extra: unexpected field (not in ${ACTIVITY})`,
    ]);
    assert.throws(
      () => assertConforms(ACTIVITY, body),
      (err: unknown) =>
        err instanceof AssertionError &&
        err.message.startsWith(`${ACTIVITY} does not conform (3 problems):`) &&
        problems.every((p) => err.message.includes(`  - ${p}`)),
    );
  });

  it('throws (not a conformance problem) on an unknown schema name', () => {
    assert.throws(() => checkResource('taskrouter.v1.nope', {}), /unknown schema "taskrouter.v1.nope"/);
  });
});

describe('assertListConforms', () => {
  it('accepts a well-formed page', () => {
    assertListConforms(WORKER, workerPage([example(WORKER), example(WORKER)]), 'workers');
    assertListConforms(WORKER, workerPage([]), 'workers');
  });

  it('catches a missing meta key', () => {
    const page = workerPage([example(WORKER)]);
    delete (page.meta as Record<string, unknown>).key;
    assert.deepEqual(checkList(WORKER, page, 'workers'), ['meta.key: missing field']);
    assert.throws(() => assertListConforms(WORKER, page, 'workers'), /meta\.key: missing field/);
  });

  it('catches envelope mistakes', () => {
    const page = workerPage([example(WORKER)]);
    const meta = page.meta as Record<string, unknown>;
    meta.key = 'items';
    meta.next_page_url = '/relative';
    meta.page_size = '50';
    meta.total = 1;
    page.count = 1;
    assert.deepEqual(checkList(WORKER, page, 'workers'), [
      'count: unexpected top-level field (a page has only "workers" and "meta")',
      'meta.page_size: expected integer, got string "50"',
      'meta.next_page_url: expected an absolute http(s) URL, got "/relative"',
      'meta.total: unexpected field',
      'meta.key: expected "workers", got "items"',
    ]);
    assert.deepEqual(checkList(WORKER, { workers: [] }, 'workers'), ['meta: missing field']);
    assert.deepEqual(checkList(WORKER, { meta: workerPage([]).meta }, 'workers'), ['workers: missing list key']);
  });

  it('checks every item, with its index in the message', () => {
    const bad = example(WORKER);
    delete bad.friendly_name;
    assert.deepEqual(checkList(WORKER, workerPage([example(WORKER), bad]), 'workers'), [
      'workers[1].friendly_name: missing field',
    ]);
  });
});

describe('schemaFor / operationFor', () => {
  it('matches concrete paths against templated ones', () => {
    assert.equal(schemaFor('taskrouter', 'GET', `/v1/Workspaces/${WS}/Workers/${WK}`), WORKER);
    assert.equal(schemaFor('taskrouter', 'post', `/v1/Workspaces/${WS}/Activities/${WA}`), ACTIVITY);
    assert.equal(schemaFor('taskrouter', 'GET', `/v1/Workspaces/${WS}`), WORKSPACE);
    assert.equal(
      schemaFor('flex', 'GET', `/v1/Interactions/KD${'a'.repeat(32)}/Channels/UO${'a'.repeat(32)}`),
      'flex.v1.interaction.interaction_channel',
    );
    assert.equal(
      schemaFor('conversations', 'GET', `/v1/Conversations/CH${'a'.repeat(32)}/Messages/IM${'a'.repeat(32)}/Receipts`),
      'conversations.v1.conversation.conversation_message.conversation_message_receipt',
    );
  });

  it('accepts full URLs with query strings, and returns the item schema for lists', () => {
    const url = `http://localhost:3000/v1/Workspaces/${WS}/Workers?PageSize=2&Page=0`;
    assert.equal(schemaFor('taskrouter', 'GET', url), WORKER);
    assert.equal(listKeyFor('taskrouter', 'GET', url), 'workers');
    assert.equal(listKeyFor('taskrouter', 'POST', url), undefined);
    assert.equal(listKeyFor('conversations', 'GET', '/v1/Conversations/CHx/Messages/IMy/Receipts'), 'delivery_receipts');
  });

  it('prefers literal segments over parameters', () => {
    assert.equal(
      schemaFor('taskrouter', 'GET', `/v1/Workspaces/${WS}/Workers/Statistics`),
      'taskrouter.v1.workspace.worker.worker_statistics',
    );
    assert.equal(
      schemaFor('taskrouter', 'GET', `/v1/Workspaces/${WS}/Workers/${WK}/Statistics`),
      'taskrouter.v1.workspace.worker.worker_instance_statistics',
    );
    assert.equal(operationFor('taskrouter', 'GET', `/v1/Workspaces/${WS}/TaskQueues/Statistics`)?.operation.listKey, 'task_queues_statistics');
  });

  it('is undefined for DELETE, unknown paths and unknown methods', () => {
    assert.equal(schemaFor('taskrouter', 'DELETE', `/v1/Workspaces/${WS}/Workers/${WK}`), undefined);
    assert.equal(operationFor('taskrouter', 'DELETE', `/v1/Workspaces/${WS}/Workers/${WK}`)?.operation.status, 204);
    assert.equal(schemaFor('taskrouter', 'GET', `/v1/Workspaces/${WS}/Nope`), undefined);
    assert.equal(schemaFor('flex', 'GET', '/v1/Interactions'), undefined); // create only, no list
    assert.equal(schemaFor('taskrouter', 'PUT', `/v1/Workspaces/${WS}`), undefined);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { flexWorkspace, type FlexFixture } from './flex-helpers.ts';

/**
 * A web chat widget's look and pre-chat form (admin API), the answers a chat starts with, and a
 * customer ending their chat (public API): set, read back, cleared; bad input refused with Twilio's
 * error bodies and nothing changed.
 */

const WIDGETS = '/switchyard/v1/WebChat/Widgets';
const SESSIONS = '/webchat/v1/Sessions';
const form = (o: Record<string, string>) => new URLSearchParams(o).toString();
const json = { 'content-type': 'application/json' };

function expectTwilioError(res: { status: number; body: any }, status: number, code: number, message?: RegExp) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.deepEqual(Object.keys(res.body).sort(), ['code', 'message', 'more_info', 'status']);
  assert.equal(res.body.code, code, JSON.stringify(res.body));
  assert.equal(res.body.status, status);
  assert.equal(res.body.more_info, `https://www.twilio.com/docs/errors/${code}`);
  if (message) assert.match(res.body.message, message);
}

const CONFIG = {
  description: 'A few questions first.',
  submitLabel: 'Chat now',
  fields: [
    { label: 'Email', type: 'InputItem', attributes: { name: 'email', type: 'email', required: true, placeholder: 'you@example.com' } },
    { label: 'Phone', type: 'InputItem', attributes: { name: 'phone', type: 'tel', required: false } },
    { label: 'Topic', type: 'SelectItem', attributes: { name: 'topic', required: true }, options: [{ value: 'billing', label: 'Billing', selected: true }, { value: 'delivery', label: 'Delivery' }] },
    { label: 'Question', type: 'TextareaItem', attributes: { name: 'question' } },
  ],
};

for (const backend of backends()) {
  describe(`web chat widget settings and sessions (${backend.name})`, () => {
    let t: TestServer;
    let f: FlexFixture;
    let widgetSid: string;
    before(async () => {
      t = await startServer(backend);
      f = await flexWorkspace(t, ['alice']);
      const res = await t.http('POST', WIDGETS, { body: form({ WorkspaceSid: f.wsSid, FriendlyName: 'Support', PreEngagementConfig: JSON.stringify(CONFIG) }) });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      widgetSid = res.body.sid;
    });
    after(() => t.close());

    const count = async (table: string) => Number((await t.server.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))?.n ?? 0);

    test('title, greeting, colours and pre-chat form: set when made, changed one by one, cleared with an empty value', async () => {
      const made = await t.http('POST', WIDGETS, {
        body: form({ WorkspaceSid: f.wsSid, FriendlyName: 'Shop', Title: '  Acme Help ', Greeting: 'Hi!\nWe answer within minutes.', AccentColor: '#FD0', HeaderColor: '#4A148C', PreEngagementConfig: JSON.stringify(CONFIG) }),
      });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      const w = made.body;
      assert.equal(w.title, 'Acme Help', 'trimmed');
      assert.equal(w.greeting, 'Hi!\nWe answer within minutes.');
      assert.equal(w.accent_color, '#ffdd00', '#rgb is kept as #rrggbb');
      assert.equal(w.header_color, '#4a148c');
      // Kept as given, less what the page does not use (an option's `selected`), with `required` said.
      assert.deepEqual(w.pre_engagement_config, {
        description: 'A few questions first.',
        submitLabel: 'Chat now',
        fields: [
          { label: 'Email', type: 'InputItem', attributes: { name: 'email', type: 'email', required: true, placeholder: 'you@example.com' } },
          { label: 'Phone', type: 'InputItem', attributes: { name: 'phone', type: 'tel', required: false } },
          { label: 'Topic', type: 'SelectItem', attributes: { name: 'topic', required: true }, options: [{ value: 'billing', label: 'Billing' }, { value: 'delivery', label: 'Delivery' }] },
          { label: 'Question', type: 'TextareaItem', attributes: { name: 'question', required: false } },
        ],
      });
      assert.deepEqual((await t.http('GET', `${WIDGETS}/${w.sid}`)).body, w);

      // The public view: the colours with the text colour that reads on them.
      const pub = (await t.http('GET', `/webchat/v1/Widgets/${w.sid}`, { auth: null })).body;
      assert.deepEqual(
        [pub.title, pub.greeting, pub.accent_color, pub.accent_text_color, pub.header_color, pub.header_text_color],
        ['Acme Help', 'Hi!\nWe answer within minutes.', '#ffdd00', '#000000', '#4a148c', '#ffffff'],
      );
      assert.deepEqual(pub.pre_engagement_config, w.pre_engagement_config);
      assert.equal(pub.workspace_sid, undefined, 'nothing of the routing');

      // One setting changes; the others stay.
      t.clock.advance(1000);
      const changed = await t.http('POST', `${WIDGETS}/${w.sid}`, { body: form({ AccentColor: '#0b57d0' }) });
      assert.equal(changed.status, 200, JSON.stringify(changed.body));
      assert.deepEqual([changed.body.accent_color, changed.body.title, changed.body.header_color], ['#0b57d0', 'Acme Help', '#4a148c']);
      assert.notEqual(changed.body.date_updated, w.date_updated);
      assert.equal((await t.http('GET', `/webchat/v1/Widgets/${w.sid}`, { auth: null })).body.accent_text_color, '#ffffff');

      // Empty values put the defaults back: the title is the friendly name again, the form asks for the name alone.
      const cleared = await t.http('POST', `${WIDGETS}/${w.sid}`, { body: form({ Title: '', Greeting: '', AccentColor: '', HeaderColor: ' ', PreEngagementConfig: '' }) });
      assert.equal(cleared.status, 200, JSON.stringify(cleared.body));
      assert.deepEqual([cleared.body.title, cleared.body.greeting, cleared.body.accent_color, cleared.body.header_color, cleared.body.pre_engagement_config], [null, null, null, null, null]);
      const plain = (await t.http('GET', `/webchat/v1/Widgets/${w.sid}`, { auth: null })).body;
      assert.deepEqual([plain.title, plain.accent_text_color, plain.pre_engagement_config], ['Shop', null, { fields: [] }]);
    });

    test('bad settings are a 400 / 20001 that says what is wrong, and change nothing', async () => {
      const cfg = (c: unknown) => JSON.stringify(c);
      const field = (f: Record<string, unknown>) => cfg({ fields: [{ label: 'X', type: 'InputItem', attributes: { name: 'x' }, ...f }] });
      const rows: [string, Record<string, string>, RegExp][] = [
        ['a colour name', { AccentColor: 'blue' }, /AccentColor.*not a hex colour/],
        ['five hex digits', { AccentColor: '#12345' }, /AccentColor/],
        ['not hex', { HeaderColor: '#ggg' }, /HeaderColor/],
        ['a CSS injection', { HeaderColor: '#fff;background:url(x)' }, /HeaderColor/],
        ['a long title', { Title: 'x'.repeat(65) }, /Title is 65 characters long; the limit is 64/],
        ['a title over two lines', { Title: 'Acme\nHelp' }, /Title.*control characters/],
        ['a long greeting', { Greeting: 'x'.repeat(501) }, /Greeting is 501 characters long; the limit is 500/],
        ['a bell in the greeting', { Greeting: 'Hi\u0007' }, /Greeting.*control characters/],
        ['a form that is no JSON', { PreEngagementConfig: '{' }, /PreEngagementConfig/],
        ['a form that is an array', { PreEngagementConfig: '[]' }, /must be a JSON object with a fields array/],
        ['no fields', { PreEngagementConfig: cfg({ description: 'x' }) }, /fields must be an array/],
        ['an unknown key', { PreEngagementConfig: cfg({ fields: [], colour: 'red' }) }, /has 'colour', which is not one of description, submitLabel, fields/],
        ['eleven fields', { PreEngagementConfig: cfg({ fields: Array.from({ length: 11 }, (_, i) => ({ label: 'F', type: 'InputItem', attributes: { name: `f${i}` } })) }) }, /fields has 11 entries; the limit is 10/],
        ['a radio button', { PreEngagementConfig: field({ type: 'RadioItem' }) }, /fields\[0\]\.type must be one of InputItem, TextareaItem, SelectItem/],
        ['a name with a space', { PreEngagementConfig: field({ attributes: { name: 'order number' } }) }, /attributes\.name must be a letter/],
        ['the name field again', { PreEngagementConfig: field({ attributes: { name: 'friendlyName' } }) }, /named 'friendlyName', which the page always asks for itself/],
        ['two fields of one name', { PreEngagementConfig: cfg({ fields: [{ label: 'A', type: 'InputItem', attributes: { name: 'a' } }, { label: 'B', type: 'TextareaItem', attributes: { name: 'a' } }] }) }, /fields\[1\] is named 'a' like an earlier field/],
        ['an empty label', { PreEngagementConfig: field({ label: ' ' }) }, /fields\[0\]\.label must not be empty/],
        ['required as text', { PreEngagementConfig: field({ attributes: { name: 'x', required: 'yes' } }) }, /required must be true or false/],
        ['a number input', { PreEngagementConfig: field({ attributes: { name: 'x', type: 'number' } }) }, /attributes\.type is for an InputItem, one of text, email, tel/],
        ['a select without options', { PreEngagementConfig: field({ type: 'SelectItem' }) }, /options must be a non-empty array/],
        ['options on a text input', { PreEngagementConfig: field({ options: [{ value: 'a' }] }) }, /options are for a SelectItem/],
        ['one option twice', { PreEngagementConfig: field({ type: 'SelectItem', options: [{ value: 'a' }, { value: 'a' }] }) }, /value 'a' is given twice/],
        ['a readOnly attribute', { PreEngagementConfig: field({ attributes: { name: 'x', readOnly: true } }) }, /has 'readOnly'/],
      ];
      const before = await count('webchat_widgets');
      const current = (await t.http('GET', `${WIDGETS}/${widgetSid}`)).body;
      for (const [what, params, message] of rows) {
        expectTwilioError(await t.http('POST', WIDGETS, { body: form({ WorkspaceSid: f.wsSid, ...params }) }), 400, 20001, message);
        const update = await t.http('POST', `${WIDGETS}/${widgetSid}`, { body: form(params) });
        assert.equal(update.status, 400, `${what}: ${JSON.stringify(update.body)}`);
        expectTwilioError(update, 400, 20001, message);
      }
      assert.equal(await count('webchat_widgets'), before, 'nothing was created');
      assert.deepEqual((await t.http('GET', `${WIDGETS}/${widgetSid}`)).body, current, 'nothing was changed');
    });

    test("a chat's answers are checked against the widget's form and kept as pre_engagement_data on the task and the conversation", async () => {
      const answers = { email: ' ada@example.com ', topic: 'delivery', question: 'Where is it?\nDue Monday.', phone: '' };
      const res = await t.http('POST', SESSIONS, { body: JSON.stringify({ Widget: widgetSid, Name: 'Ada', PreEngagementData: answers }), headers: json, auth: null });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const kept = { friendlyName: 'Ada', email: 'ada@example.com', topic: 'delivery', question: 'Where is it?\nDue Monday.' };
      const [task] = await f.w.tasks.list({ evaluateTaskAttributes: `conversationSid == "${res.body.conversation_sid}"` });
      assert.deepEqual(JSON.parse(task.attributes).pre_engagement_data, kept, 'trimmed, the blank optional answer left out');
      const c = await t.client.conversations.v1.conversations(res.body.conversation_sid).fetch();
      assert.deepEqual(JSON.parse(c.attributes), { source: 'webchat', widget_sid: widgetSid, pre_engagement_data: kept });
      // As a form, PreEngagementData is JSON text (as Flex's /v2/WebChats takes it).
      const asForm = await t.http('POST', SESSIONS, { body: form({ Widget: widgetSid, Name: 'Bob', PreEngagementData: JSON.stringify({ email: 'bob@example.com', topic: 'billing', phone: '+1 (555) 010-0000' }) }), auth: null });
      assert.equal(asForm.status, 201, JSON.stringify(asForm.body));
      const [bobs] = await f.w.tasks.list({ evaluateTaskAttributes: `conversationSid == "${asForm.body.conversation_sid}"` });
      assert.deepEqual(JSON.parse(bobs.attributes).pre_engagement_data, { friendlyName: 'Bob', email: 'bob@example.com', phone: '+1 (555) 010-0000', topic: 'billing' });
      for (const s of [res.body, asForm.body]) assert.equal((await t.http('POST', `${SESSIONS}/End`, { body: form({ Token: s.token }), auth: null })).status, 200);
    });

    test('bad answers are a 400 / 20001 and start nothing', async () => {
      const good = { email: 'ada@example.com', topic: 'billing' };
      const rows: [string, { body: string; headers?: Record<string, string> }, RegExp][] = [
        ['no answers', { body: JSON.stringify({ Widget: widgetSid, Name: 'Ada' }), headers: json }, /email \(Email\) is required/],
        ['a required one blank', { body: JSON.stringify({ Widget: widgetSid, Name: 'Ada', PreEngagementData: { ...good, email: '  ' } }), headers: json }, /email \(Email\) is required/],
        ['a field the form has not', { body: JSON.stringify({ Widget: widgetSid, Name: 'Ada', PreEngagementData: { ...good, age: '42' } }), headers: json }, /has no field 'age'/],
        ['a number', { body: JSON.stringify({ Widget: widgetSid, Name: 'Ada', PreEngagementData: { ...good, phone: 5550100 } }), headers: json }, /phone must be a string/],
        ['not an option', { body: JSON.stringify({ Widget: widgetSid, Name: 'Ada', PreEngagementData: { ...good, topic: 'refunds' } }), headers: json }, /topic must be one of billing, delivery/],
        ['not an email', { body: JSON.stringify({ Widget: widgetSid, Name: 'Ada', PreEngagementData: { ...good, email: 'ada@home' } }), headers: json }, /email is not an email address/],
        ['not a phone number', { body: JSON.stringify({ Widget: widgetSid, Name: 'Ada', PreEngagementData: { ...good, phone: 'call me' } }), headers: json }, /phone is not a phone number/],
        ['a long answer', { body: JSON.stringify({ Widget: widgetSid, Name: 'Ada', PreEngagementData: { ...good, question: 'x'.repeat(2001) } }), headers: json }, /question is 2001 characters long; the limit is 2000/],
        ['a control character', { body: JSON.stringify({ Widget: widgetSid, Name: 'Ada', PreEngagementData: { ...good, email: 'ada@example.com\u0007' } }), headers: json }, /email has a control character/],
        ['an array', { body: JSON.stringify({ Widget: widgetSid, Name: 'Ada', PreEngagementData: [good] }), headers: json }, /must be a JSON object of field name to answer/],
        ['form text that is no JSON', { body: form({ Widget: widgetSid, Name: 'Ada', PreEngagementData: '{email' }) }, /PreEngagementData/],
      ];
      const counts = () => Promise.all(['conversations', 'interactions', 'tasks'].map(count));
      const before = await counts();
      for (const [what, init, message] of rows) {
        const res = await t.http('POST', SESSIONS, { ...init, auth: null });
        assert.equal(res.status, 400, `${what}: ${JSON.stringify(res.body)}`);
        expectTwilioError(res, 400, 20001, message);
      }
      assert.deepEqual(await counts(), before);
    });

    test('the customer ends the chat: a waiting task is canceled, an accepted one wraps up, the conversation closes, the token is not renewed', async () => {
      const start = async () => {
        const res = await t.http('POST', SESSIONS, { body: JSON.stringify({ Widget: widgetSid, Name: 'Ada', PreEngagementData: { email: 'ada@example.com', topic: 'billing' } }), headers: json, auth: null });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        const [task] = await f.w.tasks.list({ evaluateTaskAttributes: `conversationSid == "${res.body.conversation_sid}"` });
        return { s: res.body, task };
      };
      // Waiting: nobody has it yet.
      const waiting = await start();
      const ended = await t.http('POST', `${SESSIONS}/End`, { body: form({ Token: waiting.s.token }), auth: null });
      assert.equal(ended.status, 200, JSON.stringify(ended.body));
      assert.deepEqual(ended.body, { conversation_sid: waiting.s.conversation_sid, state: 'closed' });
      assert.equal(await f.status(waiting.task.sid), 'canceled');
      assert.equal((await t.client.conversations.v1.conversations(waiting.s.conversation_sid).fetch()).state, 'closed');
      expectTwilioError(await t.http('POST', `${SESSIONS}/Token`, { body: form({ Token: waiting.s.token }), auth: null }), 404, 20404, /ended/);
      expectTwilioError(await t.http('POST', `${SESSIONS}/End`, { body: form({ Token: waiting.s.token }), auth: null }), 404, 20404, /ended/);

      // Accepted: alice wraps up (Bearer works as well as the Token field).
      const taken = await start();
      const [offer] = await f.pending(taken.task.sid);
      await f.w.tasks(taken.task.sid).reservations(offer.sid).update({ reservationStatus: 'accepted' });
      assert.equal((await t.http('POST', `${SESSIONS}/End`, { auth: `Bearer ${taken.s.token}` })).status, 200);
      assert.equal(await f.status(taken.task.sid), 'wrapping');
      const people = await t.client.conversations.v1.conversations(taken.s.conversation_sid).participants.list();
      assert.deepEqual(people.map((p) => p.identity), [taken.s.identity], 'alice left');
      await f.w.tasks(taken.task.sid).update({ assignmentStatus: 'completed' });

      expectTwilioError(await t.http('POST', `${SESSIONS}/End`, { body: '', auth: null }), 400, 20001, /Token/);
      expectTwilioError(await t.http('POST', `${SESSIONS}/End`, { body: form({ Token: 'abc' }), auth: null }), 401, 20101);
      expectTwilioError(await t.http('GET', `${SESSIONS}/End`, { auth: null }), 405, 20004);
    });
  });
}

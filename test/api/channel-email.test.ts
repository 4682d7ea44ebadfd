/**
 * The email gateway end to end over real SMTP on loopback: a customer's mail client (nodemailer)
 * sends to Switchyard's listener; the mail becomes a conversation and an `email` interaction that
 * reaches an agent; the agent's reply leaves through the relay (the test's own smtp-server) with
 * the interaction's From, the customer's To, "Re:" the subject, the threading headers and the
 * history quoted; the customer's answer lands in the same conversation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, startReceiver, startServer, type TestServer } from '../support/server.ts';
import { emailGateway, mailClient, startMailSink, type MailSink } from './channel-email-helpers.ts';
import { flexWorkspace, type FlexFixture } from './flex-helpers.ts';

const STUDIO_FLOW = 'FW' + 'e'.repeat(32);
let n = 0;

for (const backend of backends()) {
  describe(`email gateway: SMTP in, interaction, SMTP out (${backend.name})`, () => {
    let t: TestServer;
    let sink: MailSink;
    let gateway: ReturnType<typeof emailGateway>;
    let customer: ReturnType<typeof mailClient>;
    before(async () => {
      sink = await startMailSink();
      gateway = emailGateway(sink);
      t = await startServer(backend, { channels: [gateway.factory], conversationDeliveries: { maxAttempts: 2, retryBaseMs: 1_000 } });
      customer = mailClient(gateway.port);
    });
    after(async () => {
      customer.close();
      await t.close();
      await sink.close();
    });
    const flush = () => t.server.conversationDeliveries.flush();

    /** A fresh account (a Studio address routes into the account's only workspace) with alice on an `email` task channel, and its support address. */
    async function contactCenter(auto: Record<string, unknown> = { 'autoCreation.type': 'studio', 'autoCreation.studioFlowSid': STUDIO_FLOW }) {
      const a = await t.newAccount();
      const f: FlexFixture = await flexWorkspace({ ...t, ...a } as TestServer, ['alice']);
      await f.w.taskChannels.create({ friendlyName: 'Email', uniqueName: 'email' });
      const address = `support-${++n}@acme.test`;
      await a.client.conversations.v1.addressConfigurations.create({ type: 'email', address, friendlyName: 'Acme Support', 'autoCreation.enabled': true, ...auto });
      return { ...a, f, address };
    }

    const rows = async (sql: string, params: unknown[] = []) => t.server.db.all<Record<string, any>>(sql, params as never[]);

    test("a customer's mail reaches an agent; the agent's reply reaches the customer threaded; the customer's answer lands in the same conversation", async () => {
      const cc = await contactCenter();
      const cv = cc.client.conversations.v1;

      // 1. The customer writes.
      const sent = await customer.send({
        from: '"Ann Customer" <Ann@Customer.test>',
        to: cc.address,
        subject: 'Where is my order?',
        text: 'Hello,\nmy order 42 has not arrived.\nAnn',
        html: '<p>Hello,<br>my order <b>42</b> has not arrived.<br>Ann</p>',
        messageId: '<ann-1@customer.test>',
        attachments: [{ filename: 'receipt.txt', content: 'Order 42, paid', contentType: 'text/plain' }],
      });
      assert.match(sent.response, /^250 /);

      // It is a conversation from the support address, with Ann in it by name, and her message with its subject, bodies and attachment.
      const [conversation] = await cv.conversations.list();
      assert.ok(conversation, 'a conversation was created');
      assert.deepEqual(conversation.bindings, { email: { address: cc.address, name: 'Acme Support' } });
      assert.equal(conversation.friendlyName, 'Where is my order?');
      const [ann] = await cv.conversations(conversation.sid).participants.list();
      assert.equal((ann.messagingBinding as any).address, 'ann@customer.test');
      assert.equal((ann.messagingBinding as any).type, 'email');
      assert.equal(JSON.parse(ann.attributes).friendlyName, 'Ann Customer');
      const [first] = await cv.conversations(conversation.sid).messages.list();
      assert.equal(first.author, 'ann@customer.test');
      assert.equal(first.body, 'Hello,\nmy order 42 has not arrived.\nAnn');
      const [row] = await rows('SELECT subject FROM conversation_messages WHERE sid = ?', [first.sid]);
      assert.equal(row.subject, 'Where is my order?');
      const media = first.media as { content_type: string; filename: string | null; category?: string; size: number }[];
      assert.deepEqual(
        media.map((m) => [m.category, m.content_type.split(';')[0], m.filename]),
        [
          ['body', 'text/html', null],
          ['media', 'text/plain', 'receipt.txt'],
        ],
      );
      const stored = await rows('SELECT content, message_sid FROM sdk_media WHERE account_sid = ? ORDER BY seq', [cc.account.accountSid]);
      assert.match(Buffer.from(stored[0].content, 'base64').toString(), /<b>42<\/b>/);
      assert.equal(Buffer.from(stored[1].content, 'base64').toString(), 'Order 42, paid');
      assert.ok(stored.every((s) => s.message_sid === first.sid), 'the media belong to the message');

      // 2. It became an email interaction whose task offers alice a reservation on the email channel; she accepts.
      const tasks = await cc.f.w.tasks.list();
      assert.equal(tasks.length, 1);
      const task = tasks[0];
      assert.equal(task.taskChannelUniqueName, 'email');
      const attrs = JSON.parse(task.attributes);
      assert.equal(attrs.channelType, 'email');
      assert.equal(attrs.conversationSid, conversation.sid);
      assert.equal(attrs.customers.email, 'ann@customer.test');
      assert.equal(attrs.from, 'Ann Customer');
      const [reservation] = await cc.f.reservations(task.sid);
      assert.equal(reservation.workerSid, cc.f.agents.alice);
      assert.equal(reservation.reservationStatus, 'pending');
      await cc.f.w.tasks(task.sid).reservations(reservation.sid).update({ reservationStatus: 'accepted' });
      const identities = (await cv.conversations(conversation.sid).participants.list()).map((p) => p.identity).filter(Boolean);
      assert.deepEqual(identities, ['alice'], 'the agent joined the conversation');

      // 3. The agent replies, as the desktop does (a message in the conversation); it leaves through the relay.
      const reply = await cv.conversations(conversation.sid).messages.create({ author: 'alice', body: 'Hi Ann,\nit left our warehouse today.' });
      await flush();
      const out = await sink.next();
      assert.equal(out.from, cc.address, 'envelope sender');
      assert.deepEqual(out.to, ['ann@customer.test'], 'envelope recipient');
      assert.deepEqual(out.mail.from?.value, [{ address: cc.address, name: 'Acme Support' }]);
      assert.deepEqual((out.mail.to as any).value, [{ address: 'ann@customer.test', name: 'Ann Customer' }]);
      assert.equal(out.mail.subject, 'Re: Where is my order?');
      assert.equal(out.mail.inReplyTo, '<ann-1@customer.test>');
      assert.equal(out.mail.references, '<ann-1@customer.test>');
      assert.equal(out.mail.messageId, `<${reply.sid}@acme.test>`);
      const text = out.mail.text ?? '';
      assert.ok(text.startsWith('Hi Ann,\nit left our warehouse today.\n'), text);
      assert.match(text, /^On .+, Ann Customer <ann@customer\.test> wrote:$/m);
      assert.match(text, /^> my order 42 has not arrived\.$/m);
      assert.match(String(out.mail.html), /<blockquote[^>]*>Hello,<br>/);
      const [receipt] = await cv.conversations(conversation.sid).messages(reply.sid).deliveryReceipts.list();
      assert.equal(receipt.status, 'sent');
      assert.equal(receipt.participantSid, ann.sid);
      assert.equal(receipt.channelMessageSid, null);

      // 4. The customer answers the reply: threaded by In-Reply-To, it lands in the same conversation, her quote cut.
      await customer.send({
        from: '"Ann Customer" <ann@customer.test>',
        to: cc.address,
        subject: 'Re: Where is my order?',
        inReplyTo: out.mail.messageId,
        references: ['<ann-1@customer.test>', out.mail.messageId as string],
        messageId: '<ann-2@customer.test>',
        text: `Great, thanks!\n\nOn Thu, 15 Jan 2026 09:00:00 +0000, Acme Support <${cc.address}> wrote:\n> Hi Ann,\n> it left our warehouse today.\n`,
      });
      const all = await cv.conversations(conversation.sid).messages.list();
      assert.deepEqual(
        all.map((m) => [m.author, m.body]),
        [
          ['ann@customer.test', 'Hello,\nmy order 42 has not arrived.\nAnn'],
          ['alice', 'Hi Ann,\nit left our warehouse today.'],
          ['ann@customer.test', 'Great, thanks!'],
        ],
      );
      assert.equal((await cv.conversations.list()).length, 1, 'no second conversation');
      assert.equal((await cc.f.w.tasks.list()).length, 1, 'no second task');
      const full = all[2].media as { category?: string; content_type: string }[];
      assert.deepEqual(full.map((m) => [m.category, m.content_type.split(';')[0]]), [['body', 'text/plain']], 'the whole text, quote included, is kept');

      // The agent's next reply names the customer's answer, and the thread, oldest first.
      await cv.conversations(conversation.sid).messages.create({ author: 'alice', body: 'You are welcome.' });
      await flush();
      const second = await sink.next();
      assert.equal(second.mail.inReplyTo, '<ann-2@customer.test>');
      assert.deepEqual(second.mail.references, ['<ann-1@customer.test>', `<${reply.sid}@acme.test>`, '<ann-2@customer.test>']);
      assert.equal(second.mail.subject, 'Re: Where is my order?');
      assert.match(second.mail.text ?? '', /^> Great, thanks!$/m);
    });

    test('threading: a mail naming the thread only in References, or none (same sender, same address), joins the open conversation; a closed one is not reopened', async () => {
      const cc = await contactCenter({ 'autoCreation.type': 'default' });
      const cv = cc.client.conversations.v1;
      await customer.send({ from: 'bob@customer.test', to: cc.address, subject: 'Invoice', text: 'Where is my invoice?', messageId: '<bob-1@customer.test>' });
      const [c] = await cv.conversations.list();
      await customer.send({ from: 'bob@customer.test', to: cc.address, subject: 'Invoice', text: 'Still waiting', references: ['<unknown@elsewhere>', '<bob-1@customer.test>'] });
      await customer.send({ from: 'bob@customer.test', to: cc.address, subject: 'Another question', text: 'And my refund?' });
      assert.deepEqual((await cv.conversations(c.sid).messages.list()).map((m) => m.body), ['Where is my invoice?', 'Still waiting', 'And my refund?']);
      // Another sender to the same address: a conversation of their own.
      await customer.send({ from: 'carol@customer.test', to: cc.address, subject: 'Hi', text: 'Hello' });
      assert.equal((await cv.conversations.list()).length, 2);
      // Once closed, an answer starts a new conversation.
      await cv.conversations(c.sid).update({ state: 'closed' });
      await customer.send({ from: 'bob@customer.test', to: cc.address, subject: 'Re: Invoice', text: 'Hello again', inReplyTo: '<bob-1@customer.test>' });
      const conversations = await cv.conversations.list();
      assert.equal(conversations.length, 3);
      const newest = conversations.find((x) => x.sid !== c.sid && x.friendlyName === 'Re: Invoice');
      assert.ok(newest);
      assert.deepEqual((await cv.conversations(newest.sid).messages.list()).map((m) => m.body), ['Hello again']);
      // The same mail delivered twice (a sender retrying) lands once.
      const before = (await cv.conversations(c.sid).messages.list()).length;
      await customer.send({ from: 'carol@customer.test', to: cc.address, subject: 'Dup', text: 'once', messageId: '<carol-dup@customer.test>' });
      await customer.send({ from: 'carol@customer.test', to: cc.address, subject: 'Dup', text: 'once', messageId: '<carol-dup@customer.test>' });
      const carol = (await cv.conversations.list()).find((x) => x.friendlyName === 'Hi');
      assert.deepEqual((await cv.conversations(carol!.sid).messages.list()).map((m) => m.body), ['Hello', 'once']);
      assert.equal((await cv.conversations(c.sid).messages.list()).length, before);
    });

    test("a webhook address's new conversation gets its scoped webhook before the mail's message: the receiver hears the first onMessageAdded", async () => {
      const rx = await startReceiver();
      try {
        const cc = await contactCenter({ 'autoCreation.type': 'webhook', 'autoCreation.webhookUrl': `${rx.url}/route`, 'autoCreation.webhookFilters': ['onMessageAdded'] });
        await customer.send({ from: '"Gus" <gus@customer.test>', to: cc.address, subject: 'Route me', text: 'Hello there' });
        await flush();
        const hook = await rx.next();
        assert.equal(new URL(hook.url).pathname, '/route');
        assert.equal(hook.params.EventType, 'onMessageAdded');
        assert.equal(hook.params.Author, 'gus@customer.test');
        assert.equal(hook.params.Body, 'Hello there');
        assert.equal(hook.params.Source, 'EMAIL', 'a mail is an EMAIL message, in post-events as in pre-events');
        assert.equal((await cc.f.w.tasks.list()).length, 0, 'the receiver routes, not the gateway');
      } finally {
        await rx.close();
      }
    });

    test('an agent-initiated email interaction goes out from its from / from_name to its to and cc participants (bcc in the envelope only)', async () => {
      const cc = await contactCenter();
      const flex = cc.client.flexApi.v1;
      const interaction = await flex.interaction.create({
        channel: {
          type: 'email',
          initiated_by: 'agent',
          properties: { from: cc.address, from_name: 'Acme Billing' },
          participants: [
            { level: 'to', name: 'Dan', address: 'dan@customer.test' },
            { level: 'cc', name: 'Eve', address: 'eve@customer.test' },
            { level: 'bcc', address: 'audit@acme.test' },
          ],
        },
        routing: { properties: { workspace_sid: cc.f.wsSid, worker_sid: cc.f.agents.alice, queue_sid: cc.f.queueSid } },
      });
      assert.equal((interaction.channel as { sid?: string }).sid?.slice(0, 2), 'UO');
      const [{ sid: conversationSid }] = await cc.client.conversations.v1.conversations.list();
      const m = await cc.client.conversations.v1.conversations(conversationSid).messages.create({ author: 'alice', body: 'Your invoice is attached.', subject: 'Invoice 7' });
      await flush();
      const copies = [await sink.next(), await sink.next(), await sink.next()];
      assert.deepEqual(copies.map((c) => c.to).flat().sort(), ['audit@acme.test', 'dan@customer.test', 'eve@customer.test']);
      for (const c of copies) {
        assert.deepEqual(c.mail.from?.value, [{ address: cc.address, name: 'Acme Billing' }]);
        assert.deepEqual((c.mail.to as any).value, [{ address: 'dan@customer.test', name: 'Dan' }]);
        assert.deepEqual((c.mail.cc as any).value, [{ address: 'eve@customer.test', name: 'Eve' }]);
        assert.equal(c.mail.bcc, undefined);
        assert.ok(!c.raw.toString().includes('audit@acme.test'), 'bcc never in the headers');
        assert.equal(c.mail.subject, 'Invoice 7');
        assert.equal(c.mail.inReplyTo, undefined, 'the first mail of a thread answers nothing');
        assert.equal(c.mail.messageId, `<${m.sid}@acme.test>`, 'one Message-ID for every copy');
      }
      const receipts = await cc.client.conversations.v1.conversations(conversationSid).messages(m.sid).deliveryReceipts.list();
      assert.deepEqual(receipts.map((r) => r.status), ['sent', 'sent', 'sent']);

      // Dan answers: threaded by the Message-ID the gateway gave.
      await customer.send({ from: 'dan@customer.test', to: cc.address, subject: 'Re: Invoice 7', text: 'Paid.', inReplyTo: `<${m.sid}@acme.test>` });
      const all = await cc.client.conversations.v1.conversations(conversationSid).messages.list();
      assert.deepEqual(all.map((x) => x.body), ['Your invoice is attached.', 'Paid.']);
    });

    test("delivery failures become the message's receipt: a recipient refused for good fails with 30005; a relay that defers is retried, then given up with 30008", async () => {
      const cc = await contactCenter({ 'autoCreation.type': 'default' });
      const cv = cc.client.conversations.v1;
      await customer.send({ from: 'frank@nowhere.test', to: cc.address, subject: 'Hi', text: 'Hello' });
      const [c] = await cv.conversations.list();
      await cv.conversations(c.sid).participants.create({ identity: 'agent-frank' });
      sink.refuse = (rcpt) => (rcpt === 'frank@nowhere.test' ? { code: 550, message: 'No such user' } : null);
      const m1 = await cv.conversations(c.sid).messages.create({ author: 'agent-frank', body: 'Hello Frank' });
      await flush();
      const [r1] = await cv.conversations(c.sid).messages(m1.sid).deliveryReceipts.list();
      assert.equal(r1.status, 'failed');
      assert.equal(r1.errorCode, 30005);

      sink.refuse = () => ({ code: 451, message: 'Try again later' });
      const m2 = await cv.conversations(c.sid).messages.create({ author: 'agent-frank', body: 'Hello again' });
      await flush();
      assert.deepEqual(await cv.conversations(c.sid).messages(m2.sid).deliveryReceipts.list(), [], 'no receipt while it is being retried');
      t.clock.advance(5_000);
      await flush();
      const [r2] = await cv.conversations(c.sid).messages(m2.sid).deliveryReceipts.list();
      assert.equal(r2.status, 'failed');
      assert.equal(r2.errorCode, 30008);
      sink.refuse = () => null;
    });
  });
}

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { chatToken, connectSdk, nextEvent, within, type Client, type Conversation, type Message, type Participant } from '../support/conversations-sdk.ts';
import { flexWorkspace, type FlexFixture } from '../api/flex-helpers.ts';
import { assertAccessible, customerWrites, launchBrowser, png, screenshot, until } from './support.ts';

/**
 * The web chat's features against a real server in Chromium: the widget's pre-chat form (its
 * answers in the task's attributes), typing and read state both ways, attachments both ways, and
 * the ends of a chat (the customer's End chat, the agent leaving, the chat closing) with what the
 * customer typed kept. The agent is the official Conversations SDK in Node (as any agent UI runs
 * it), so these tests need nothing of the agent desktop's page. Waits are on what the page or the
 * SDK shows, or polls of the REST API with a deadline; never a sleep.
 */

const [sqlite] = backends();
const WAIT = { timeout: 15_000 };
const WIDGETS = '/switchyard/v1/WebChat/Widgets';



describe('browser: web chat features', () => {
  let t: TestServer;
  let f: FlexFixture;
  let browser: Browser;
  let plainWidget: string;
  const agents: Client[] = [];
  before(async () => {
    t = await startServer(sqlite, { timers: 'auto' });
    f = await flexWorkspace(t, ['alice']);
    const res = await t.http('POST', WIDGETS, { body: new URLSearchParams({ WorkspaceSid: f.wsSid, FriendlyName: 'Plain' }).toString() });
    assert.equal(res.status, 201);
    plainWidget = res.body.sid;
    browser = await launchBrowser();
  });
  // Each test's chats end here, so alice is free for the next one (she takes one chat at a time).
  afterEach(async () => {
    for (const task of await f.w.tasks.list()) {
      if (task.assignmentStatus === 'pending' || task.assignmentStatus === 'reserved') await f.w.tasks(task.sid).update({ assignmentStatus: 'canceled' });
      else if (task.assignmentStatus === 'assigned' || task.assignmentStatus === 'wrapping') await f.w.tasks(task.sid).update({ assignmentStatus: 'completed' });
    }
  });
  after(async () => {
    for (const a of agents) await within(a.shutdown(), 'shutdown', 2000).catch(() => undefined);
    await browser?.close();
    await t.close();
  });

  /** The customer opens the widget's page, gives a name and waits until the chat is connected. */
  async function startChat(widget: string, name: string): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await page.goto(`${t.baseUrl}/webchat/?widget=${widget}`);
    await page.getByLabel('Your name').fill(name);
    await page.getByRole('button', { name: 'Start chat' }).click();
    await page.locator('#status[data-state="waiting"]').waitFor(WAIT);
    return page;
  }

  /** The task of the chat the page holds, and its attributes. */
  async function taskOf(page: Page) {
    const conversationSid = await page.evaluate((key) => JSON.parse(sessionStorage.getItem(key) ?? '{}').conversation_sid as string, `switchyard.webchat.${new URL(page.url()).searchParams.get('widget')}`);
    const [task] = await f.w.tasks.list({ evaluateTaskAttributes: `conversationSid == "${conversationSid}"` });
    assert.ok(task, `a task for ${conversationSid}`);
    return { task, attrs: JSON.parse(task.attributes), conversationSid };
  }

  /** alice accepts the chat's offer over REST and opens it on the official Conversations SDK. */
  async function aliceTakes(page: Page): Promise<{ conversation: Conversation; conversationSid: string; taskSid: string; guest: string }> {
    const { task, conversationSid } = await taskOf(page);
    const [offer] = await f.pending(task.sid);
    await f.w.tasks(task.sid).reservations(offer.sid).update({ reservationStatus: 'accepted' });
    await page.locator('#status[data-state="joined"]').waitFor(WAIT);
    const serviceSid = (await t.client.conversations.v1.conversations(conversationSid).fetch()).chatServiceSid;
    const alice = await connectSdk(t.baseUrl, chatToken(t.account, 'alice', { serviceSid }));
    agents.push(alice);
    const conversation = await within(alice.getConversationBySid(conversationSid), 'getConversationBySid');
    const people = await within(conversation.getParticipants(), 'getParticipants');
    const guest = people.find((p) => p.identity?.startsWith('guest-'))?.identity;
    assert.ok(guest);
    return { conversation, conversationSid, taskSid: task.sid, guest };
  }

  const noSidShown = async (page: Page) => assert.doesNotMatch(await page.locator('body').innerText(), /CH[0-9a-f]{32}/, 'no conversation SID on the page');

  test("the widget's pre-chat form: its fields, checked on the page, land in the task's and the conversation's attributes", async () => {
    const config = {
      description: 'Tell us a little, so the right person answers.',
      submitLabel: 'Start chat',
      fields: [
        { label: 'Email', type: 'InputItem', attributes: { name: 'email', type: 'email', required: true, placeholder: 'you@example.com' } },
        { label: 'Topic', type: 'SelectItem', attributes: { name: 'topic', required: true }, options: [{ value: 'billing', label: 'Billing' }, { value: 'delivery', label: 'Delivery' }] },
        { label: 'Order number', type: 'InputItem', attributes: { name: 'order', required: false } },
        { label: 'Your question', type: 'TextareaItem', attributes: { name: 'question', required: false } },
      ],
    };
    const made = await t.http('POST', WIDGETS, { body: new URLSearchParams({ WorkspaceSid: f.wsSid, FriendlyName: 'Orders', PreEngagementConfig: JSON.stringify(config) }).toString() });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const page = await (await browser.newContext({ viewport: { width: 375, height: 740 } })).newPage();
    await page.goto(`${t.baseUrl}/webchat/?widget=${made.body.sid}`);
    await page.getByLabel('Email').waitFor(WAIT);
    assert.equal(await page.locator('#description').innerText(), 'Tell us a little, so the right person answers.');
    assert.deepEqual(await page.locator('#start label').allInnerTexts(), ['Your name', 'Email', 'Topic', 'Order number (optional)', 'Your question (optional)']);
    assert.deepEqual(await page.getByLabel('Topic').locator('option').allInnerTexts(), ['Billing', 'Delivery']);
    assert.equal(await page.getByLabel('Email').getAttribute('placeholder'), 'you@example.com');

    // Sent empty: each missing answer is marked and said, and the first one has the focus.
    await page.getByRole('button', { name: 'Start chat' }).click();
    assert.equal(await page.locator('#name-error').innerText(), 'Please tell us your name.');
    assert.equal(await page.locator('#pf-email-error').innerText(), 'Please fill in “Email”.');
    assert.equal(await page.getByLabel('Email').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'name');
    await assertAccessible(page, 'pre-chat form with errors');
    await screenshot(page, 'webchat-form-1-errors-375');

    await page.getByLabel('Your name').fill('Grace Hopper');
    await page.getByLabel('Email').fill('grace@navy');
    await page.getByRole('button', { name: 'Start chat' }).click();
    assert.equal(await page.locator('#pf-email-error').innerText(), 'Please enter an email address, like name@example.com.');
    assert.equal(await page.locator('#name-error').count(), 0, 'the name is fine now');
    await page.getByLabel('Email').fill('grace@navy.mil');
    await page.getByLabel('Topic').selectOption('delivery');
    await page.getByLabel('Your question').fill('Where is it?\nIt was due Monday.');
    await screenshot(page, 'webchat-form-2-filled-375');
    await page.getByRole('button', { name: 'Start chat' }).click();
    await page.locator('#status[data-state="waiting"]').waitFor(WAIT);

    const { attrs, conversationSid } = await taskOf(page);
    const answers = { friendlyName: 'Grace Hopper', email: 'grace@navy.mil', topic: 'delivery', question: 'Where is it?\nIt was due Monday.' };
    assert.deepEqual(attrs.pre_engagement_data, answers);
    assert.equal(attrs.customerName, 'Grace Hopper');
    const conversation = await t.client.conversations.v1.conversations(conversationSid).fetch();
    assert.deepEqual(JSON.parse(conversation.attributes).pre_engagement_data, answers);
    await page.context().close();
  });

  test('typing, read state and attachments, both ways between the page and an agent on the SDK', async () => {
    const page = await startChat(plainWidget, 'Ada Lovelace');
    const { conversation, conversationSid, guest } = await aliceTakes(page);

    // The customer types: alice's SDK hears it. alice types: the page says so.
    const typing = nextEvent<Participant>(conversation, 'typingStarted');
    await page.getByLabel('Message', { exact: true }).pressSequentially('Hello, my');
    assert.equal((await typing).identity, guest);
    await page.getByLabel('Message', { exact: true }).fill('');
    await customerWrites(page, 'Hello, my parcel is damaged');
    await within(conversation.typing(), 'typing');
    await page.locator('#typing', { hasText: 'alice is typing…' }).waitFor(WAIT);
    assert.equal(await page.locator('#typing').getAttribute('aria-live'), 'polite');

    // alice writes: the page shows it (the typing line goes), reads it, and the customer's read horizon reaches it.
    const index = await within(conversation.sendMessage('Sorry! Could you send a photo?'), 'sendMessage');
    await page.locator('#transcript li.theirs', { hasText: 'Could you send a photo?' }).waitFor(WAIT);
    await until('the typing line', () => page.locator('#typing').innerText(), (v) => v === '');
    await until(
      "the customer's read horizon",
      async () => (await t.client.conversations.v1.conversations(conversationSid).participants.list()).find((p) => p.identity === guest)?.lastReadMessageIndex,
      (v) => v === index,
    );

    // The customer's message says Sent, then Read once alice has read it.
    await customerWrites(page, 'Yes, here it is');
    const mine = page.locator('#transcript li.mine').last();
    await mine.locator('.receipt', { hasText: 'Sent' }).waitFor(WAIT);
    await within(conversation.setAllMessagesRead(), 'setAllMessagesRead');
    await mine.locator('.receipt', { hasText: 'Read' }).waitFor(WAIT);
    assert.equal(await page.locator('#transcript .receipt').count(), 1, 'only the last message says it');

    // The customer attaches a photo and a text file: alice's SDK gets both, byte for byte.
    const photo = png(40, 30);
    for (const file of [
      { name: 'damage.png', mimeType: 'image/png', buffer: photo },
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('box crushed\non the left side\n') },
    ]) {
      const heard = nextEvent<Message>(conversation, 'messageAdded', (m) => m.attachedMedia?.[0]?.filename === file.name);
      await page.locator('#file').setInputFiles(file);
      const m = await heard;
      const [media] = m.attachedMedia ?? [];
      assert.equal(media.contentType, file.mimeType);
      assert.equal(media.size, file.buffer.length);
      const url = await within(media.getContentTemporaryUrl() as Promise<string>, 'getContentTemporaryUrl');
      assert.deepEqual(Buffer.from(await (await fetch(url)).arrayBuffer()), file.buffer);
      await page.locator('#transcript li.mine .attachment a', { hasText: file.name }).waitFor(WAIT);
    }
    const own = page.getByRole('img', { name: 'damage.png' });
    await until('the photo drawn on the page', () => own.evaluate((img: HTMLImageElement) => img.naturalWidth), (w) => w === 40);
    assert.equal(await page.locator('#transcript li.pending').count(), 0, 'no file left "sending"');

    // alice sends an image and a PDF: the page shows the image, and links the PDF for download.
    const pdf = Buffer.from('%PDF-1.4\n% a return label\n');
    await within(conversation.sendMessage({ contentType: 'image/png', filename: 'label.png', media: png(24, 24) } as never), 'send image');
    await within(conversation.sendMessage({ contentType: 'application/pdf', filename: 'return-label.pdf', media: pdf } as never), 'send pdf');
    const theirs = page.getByRole('img', { name: 'label.png' });
    await theirs.waitFor(WAIT);
    await until('the image drawn on the page', () => theirs.evaluate((img: HTMLImageElement) => img.naturalWidth), (w) => w === 24);
    const link = page.getByRole('link', { name: 'return-label.pdf' });
    await link.waitFor(WAIT);
    assert.equal(await link.getAttribute('download'), 'return-label.pdf');
    assert.match(await page.locator('#transcript li.theirs', { has: link }).locator('.size').innerText(), /\(\d+ B\)/);
    const href = await until('the link to the file', () => link.getAttribute('href'), (h) => !!h);
    const got = await page.evaluate(async (u) => Array.from(new Uint8Array(await (await fetch(u as string)).arrayBuffer())), href);
    assert.deepEqual(Buffer.from(got), pdf);
    await screenshot(page, 'webchat-features-1-typing-read-attachments');
    await assertAccessible(page, 'chat with attachments and receipts');

    // Too big for the media service: said on the page, nothing sent.
    await page.locator('#file').setInputFiles({ name: 'huge.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(5 * 1024 * 1024 + 1) });
    assert.match(await page.locator('#compose-error').innerText(), /huge\.bin is 5 MB; files can be up to 5 MB/);
    await page.context().close();
  });

  test('the customer ends the chat: the agent wraps up, the typed text is kept, and "Start a new chat" starts one that works', async () => {
    const page = await startChat(plainWidget, 'Ada Lovelace');
    const first = await aliceTakes(page);
    await page.getByLabel('Message', { exact: true }).fill('one more thing: the invoice');
    // A reload keeps the chat and what was being written.
    await page.reload();
    await page.locator('#status[data-state="joined"]').waitFor(WAIT);
    assert.equal(await page.getByLabel('Message', { exact: true }).inputValue(), 'one more thing: the invoice');

    await page.getByRole('button', { name: 'End chat' }).click();
    assert.equal(await page.getByText('End this chat? The agent will see that you left.').isVisible(), true);
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Keep chatting', 'the safe choice has the focus');
    await assertAccessible(page, 'confirming the end of the chat');
    await screenshot(page, 'webchat-features-2-confirm-end');
    await page.getByRole('button', { name: 'Yes, end it' }).click();
    await page.locator('#status[data-state="ended"]', { hasText: 'You ended this chat.' }).waitFor(WAIT);
    const box = page.getByLabel('Message', { exact: true });
    assert.equal(await box.isDisabled(), true);
    assert.equal(await box.inputValue(), 'one more thing: the invoice', 'what was typed is kept');
    assert.equal(await page.getByRole('button', { name: 'Send' }).isDisabled(), true);
    assert.equal(await page.getByRole('button', { name: 'Attach a file' }).isDisabled(), true);
    assert.equal(await page.getByRole('button', { name: 'End chat' }).count(), 0);
    assert.equal(await f.status(first.taskSid), 'wrapping', "alice's task wraps up");
    assert.equal((await t.client.conversations.v1.conversations(first.conversationSid).fetch()).state, 'closed');
    await noSidShown(page);
    await assertAccessible(page, 'ended by the customer');
    await screenshot(page, 'webchat-features-3-ended-by-customer');

    // A new chat: the name is remembered, the unsent text comes along, and it is a new conversation.
    await page.getByRole('button', { name: 'Start a new chat' }).click();
    assert.equal(await page.getByLabel('Your name').inputValue(), 'Ada Lovelace');
    await page.getByRole('button', { name: 'Start chat' }).click();
    await page.locator('#status[data-state="waiting"]').waitFor(WAIT);
    assert.equal(await box.isDisabled(), false);
    assert.equal(await box.inputValue(), 'one more thing: the invoice');
    assert.equal(await page.locator('#transcript li').count(), 0, 'the old transcript is gone');
    await box.press('Enter');
    await page.locator('#transcript li.mine', { hasText: 'one more thing: the invoice' }).waitFor(WAIT);
    const second = await taskOf(page);
    assert.notEqual(second.conversationSid, first.conversationSid);
    const stored = await t.client.conversations.v1.conversations(second.conversationSid).messages.list();
    assert.deepEqual(stored.map((m) => m.body), ['one more thing: the invoice']);

    // Ended while still waiting: the task is canceled, nobody is offered it any more.
    await page.getByRole('button', { name: 'End chat' }).click();
    await page.getByRole('button', { name: 'Yes, end it' }).click();
    await page.locator('#status[data-state="ended"]').waitFor(WAIT);
    assert.equal(await f.status(second.task.sid), 'canceled');
    await page.context().close();
  });

  test('the agent leaves, then the chat is closed while the customer is typing: clear states, the text kept, no SID', async () => {
    const page = await startChat(plainWidget, 'Ada Lovelace');
    const { conversationSid } = await aliceTakes(page);
    assert.deepEqual(await page.locator('#status').innerText(), "You're chatting with alice.");

    // alice is taken out of the conversation (the chat stays open): the page no longer says she is here.
    await t.client.conversations.v1.conversations(conversationSid).participants('alice').remove();
    await page.locator('#status[data-state="left"]').waitFor(WAIT);
    assert.equal(await page.locator('#status').innerText(), 'alice left the chat.');
    await page.locator('#transcript li.system', { hasText: 'alice left the chat' }).waitFor(WAIT);
    assert.equal(await page.getByRole('button', { name: 'Send' }).isDisabled(), false, 'the chat is still open');
    await assertAccessible(page, 'agent left');
    await screenshot(page, 'webchat-features-4-agent-left');

    // The chat is closed (as an agent's End chat or an orphan policy closes it) while the customer writes.
    await page.getByLabel('Message', { exact: true }).fill('are you still th');
    await t.client.conversations.v1.conversations(conversationSid).update({ state: 'closed' });
    await page.locator('#status[data-state="ended"]').waitFor(WAIT);
    assert.equal(await page.locator('#status').innerText(), 'This chat has ended.');
    assert.equal(await page.getByLabel('Message', { exact: true }).inputValue(), 'are you still th');
    assert.equal(await page.getByLabel('Message', { exact: true }).isDisabled(), true);
    assert.equal(await page.locator('#compose-error').isHidden(), true, 'no error: the state says it');
    await noSidShown(page);
    await screenshot(page, 'webchat-features-5-closed-while-typing');
    await page.context().close();
  });
});

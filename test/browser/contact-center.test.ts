import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { HttpDeliveryAdapter } from '../../src/conversations/gateway/outbound.ts';
import { backends, startReceiver, startServer, type Receiver, type TestServer } from '../support/server.ts';
import { within } from '../support/conversations-sdk.ts';
import { inbound } from '../api/conversations-helpers.ts';
import { flexWorkspace, members, type FlexFixture } from '../api/flex-helpers.ts';
import { createWidget, customerWrites, launchBrowser, screenshot, setAgentPassword, signInSupervisor } from './support.ts';

/**
 * The whole contact center in one browser, three pages, no REST shortcuts for what people do: a
 * customer writes on the web chat, an agent signed in on the desktop gets the offer and accepts,
 * both read each other (both pages on Twilio's official SDKs: the worker SDK and the Conversations
 * SDK), a second customer joins the same conversation by SMS through the inbound gateway and is
 * read and answered from both pages, the agent ends the chat and completes the task, and the
 * supervisor's board counts it. REST is used only to check the state behind the pages, and for
 * what a business's own backend does: bringing the SMS customer into the conversation.
 */

const [sqlite] = backends();
const WAIT = { timeout: 15_000 };
const PASSWORD = 'alice password 1';
const SUPERVISOR_PASSWORD = 'sam password 1';
/** The business's SMS number, and the web chat customer's husband, who placed the order. */
const BUSINESS = '+15550009000';
const CHARLES = '+15551230042';

describe('browser: customer, agent and supervisor together', () => {
  let t: TestServer;
  let f: FlexFixture;
  let browser: Browser;
  let widgetSid: string;
  let sms: Receiver;
  before(async () => {
    // Outbound SMS go to a local receiver that accepts them.
    sms = await startReceiver(() => ({ status: 200, body: JSON.stringify({ sid: 'SM' + 'c'.repeat(32), status: 'sent' }) }));
    // The desktop's countdown and the SDKs run on real time: so does the server here, with its
    // senders and the Conversations SDK's live data running on their own.
    t = await startServer(sqlite, { timers: 'auto', outbound: new HttpDeliveryAdapter({ urls: { [BUSINESS]: `${sms.url}/sms` } }) });
    t.clock.set(Date.now());
    f = await flexWorkspace(t, ['alice', 'sam'], { available: false });
    await setAgentPassword(t, f.wsSid, f.agents.alice, PASSWORD);
    // The supervisor: a worker an administrator gave Flex's supervisor role, with a password of their own.
    await f.w.workers(f.agents.sam).update({ attributes: JSON.stringify({ contact_uri: 'client:sam', roles: ['supervisor'] }) });
    await setAgentPassword(t, f.wsSid, f.agents.sam, SUPERVISOR_PASSWORD);
    widgetSid = await createWidget(t, f.wsSid);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await t.close();
    await sms?.close();
  });

  test('web chat → offer on the desktop → accept → messages both ways → an SMS customer joins through the gateway → end chat → complete → counted on the board', async () => {
    // The agent signs in and goes Available.
    const agent = await (await browser.newContext()).newPage();
    await agent.goto(`${t.baseUrl}/agent/?account=${t.account.accountSid}`);
    await agent.getByLabel('Username').fill('alice');
    await agent.getByLabel('Password').fill(PASSWORD);
    await agent.getByRole('button', { name: 'Sign in' }).click();
    await agent.locator('#connection', { hasText: 'Connected' }).waitFor(WAIT);
    await agent.getByLabel('Activity').selectOption({ label: 'Available' });
    await agent.locator('#connection', { hasText: 'You are now Available' }).waitFor(WAIT);
    await screenshot(agent, 'contact-center-1-agent-available');

    // The customer opens the web chat, gives a name and writes.
    const customer = await (await browser.newContext()).newPage();
    await customer.goto(`${t.baseUrl}/webchat/?widget=${widgetSid}`);
    await customer.getByLabel('Your name').fill('Ada Lovelace');
    await customer.getByRole('button', { name: /start/i }).click();
    await customer.locator('#status', { hasText: 'Connected' }).waitFor(WAIT);
    await customerWrites(customer, 'Hello, my order never came');
    await screenshot(customer, 'contact-center-2-customer-wrote');

    // The offer reaches the desktop, with the customer, the channel and a countdown.
    const [task] = await f.w.tasks.list();
    assert.ok(task, 'the web chat made a task');
    const attrs = JSON.parse(task.attributes);
    assert.equal(attrs.channelType, 'web');
    const offer = agent.locator(`li.offer[data-task="${task.sid}"]`);
    await offer.waitFor(WAIT);
    assert.equal(await offer.locator('.customer').innerText(), 'Ada Lovelace');
    assert.equal((await offer.locator('.channel').innerText()).toLowerCase(), 'web');
    assert.match(await offer.locator('.countdown').innerText(), /\d+ s$/);
    await screenshot(agent, 'contact-center-3-offer');

    // The supervisor sees the chat waiting in its queue.
    const supervisor = await (await browser.newContext()).newPage();
    await signInSupervisor(supervisor, t.baseUrl, t.account.accountSid, 'sam', SUPERVISOR_PASSWORD);
    const row = supervisor.locator(`#queues tr[data-queue="${f.queueSid}"]`);
    await row.waitFor(WAIT);
    assert.equal(await row.locator('td.waiting').innerText(), '1');
    await screenshot(supervisor, 'contact-center-4-board-waiting');

    // The agent accepts: the customer sees them join; the desktop shows the customer's message.
    await offer.getByRole('button', { name: 'Accept' }).click();
    const card = agent.locator(`article.task[data-task="${task.sid}"]`);
    await card.locator('.state', { hasText: 'in progress' }).waitFor(WAIT);
    await customer.locator('#transcript li.system', { hasText: 'alice joined' }).waitFor(WAIT);
    const agentTranscript = card.getByRole('list', { name: 'Conversation with Ada Lovelace' });
    await agentTranscript.locator('li.theirs', { hasText: 'Hello, my order never came' }).waitFor(WAIT);
    assert.equal(await f.status(task.sid), 'assigned');
    await screenshot(agent, 'contact-center-5-accepted');

    // Both ways: the agent replies, the customer answers.
    await card.getByLabel('Reply to Ada Lovelace').fill('Sorry to hear that, Ada. Which order?');
    await card.getByLabel('Reply to Ada Lovelace').press('Enter');
    await customer.locator('#transcript li.theirs', { hasText: 'Sorry to hear that, Ada. Which order?' }).waitFor(WAIT);
    await customerWrites(customer, 'My husband placed it, he has the number');
    await agentTranscript.locator('li.theirs', { hasText: 'My husband placed it' }).waitFor(WAIT);
    await screenshot(customer, 'contact-center-6-customer-sees-reply');
    await screenshot(agent, 'contact-center-7-agent-sees-answer');

    // The business's backend brings Charles in by SMS (Conversations REST: a participant with a
    // messaging binding to the business number), as Twilio documents adding an SMS user to a
    // conversation; both pages see him join.
    const cv = t.client.conversations.v1;
    await cv.conversations(attrs.conversationSid).participants.create({
      'messagingBinding.address': CHARLES,
      'messagingBinding.proxyAddress': BUSINESS,
      attributes: JSON.stringify({ friendlyName: 'Charles (SMS)' }),
    });
    await customer.locator('#transcript li.system', { hasText: 'Charles (SMS) joined' }).waitFor(WAIT);
    await agentTranscript.locator('li.system', { hasText: 'Charles (SMS) joined' }).waitFor(WAIT);

    // Charles texts the business number: the inbound gateway (a signed Messaging webhook) puts his
    // message in the conversation, and both pages show it under his name.
    assert.equal((await inbound(t, { From: CHARLES, To: BUSINESS, Body: 'It was order 42, paid on the 3rd' })).status, 200);
    const fromCharles = customer.locator('#transcript li.theirs', { hasText: 'It was order 42, paid on the 3rd' });
    await fromCharles.waitFor(WAIT);
    assert.equal(await fromCharles.locator('.author').innerText(), 'Charles (SMS)');
    const atAgent = agentTranscript.locator('li.theirs', { hasText: 'It was order 42, paid on the 3rd' });
    await atAgent.waitFor(WAIT);
    assert.equal(await atAgent.locator('.author').innerText(), 'Charles (SMS)');
    await screenshot(customer, 'contact-center-7a-customer-sees-sms');

    // The agent answers from the desktop: the web chat shows it, and it goes out to Charles by SMS.
    await card.getByLabel('Reply to Ada Lovelace').fill('Thanks Charles, found it: it ships today.');
    await card.getByLabel('Reply to Ada Lovelace').press('Enter');
    await customer.locator('#transcript li.theirs', { hasText: 'Thanks Charles, found it: it ships today.' }).waitFor(WAIT);
    const out = await within(sms.next(), 'the SMS to Charles', WAIT.timeout);
    assert.deepEqual([out.params.To, out.params.From, out.params.Body], [CHARLES, BUSINESS, 'Thanks Charles, found it: it ships today.']);
    const stored = await cv.conversations(attrs.conversationSid).messages.list();
    assert.deepEqual(
      stored.map((m) => [m.author, m.body]),
      [
        [stored[0].author, 'Hello, my order never came'],
        ['alice', 'Sorry to hear that, Ada. Which order?'],
        [stored[0].author, 'My husband placed it, he has the number'],
        [CHARLES, 'It was order 42, paid on the 3rd'],
        ['alice', 'Thanks Charles, found it: it ships today.'],
      ],
    );
    assert.match(stored[0].author, /^guest-/);
    await screenshot(agent, 'contact-center-7b-agent-answered-sms');

    // The agent ends the chat (wrap-up): the customer is told; then completes the task.
    await card.getByRole('button', { name: 'End chat' }).click();
    await card.locator('.state', { hasText: 'wrapping up' }).waitFor(WAIT);
    await customer.locator('#transcript li.system', { hasText: 'alice left the chat' }).waitFor(WAIT);
    assert.equal(await f.status(task.sid), 'wrapping');
    assert.ok(!(await members(t, attrs.conversationSid)).includes('alice'));
    await screenshot(customer, 'contact-center-8-agent-left');
    await card.getByRole('button', { name: 'Complete' }).click();
    await card.waitFor({ ...WAIT, state: 'detached' });
    assert.equal(await f.status(task.sid), 'completed');
    await screenshot(agent, 'contact-center-9-completed');

    // The board: nothing waiting any more, and the last hour's chart counts the chat.
    await supervisor.waitForFunction((sid) => document.querySelector(`#queues tr[data-queue="${sid}"] td.waiting`)?.textContent === '0', f.queueSid, WAIT);
    await supervisor.locator('#chart svg desc', { hasText: /1 tasks entered in all: Support 1/ }).waitFor({ ...WAIT, state: 'attached' });
    assert.equal(await supervisor.locator('#chart-table tbody tr').last().locator('td').first().textContent(), '1', 'the last slice of the hour holds the chat');
    await screenshot(supervisor, 'contact-center-10-board-counted');
  });
});

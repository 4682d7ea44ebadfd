import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { flexWorkspace, members, type FlexFixture } from '../api/flex-helpers.ts';
import { assertAccessible, createWidget, customerWrites, launchBrowser, screenshot } from './support.ts';

/**
 * The customer's web chat in a real browser, against a real server: the customer starts a chat
 * and writes (the page runs Twilio's official Conversations SDK) and is told they wait; an agent
 * accepts and replies over REST; the customer sees the agent join, the reply, the token renewed
 * past its hour, and the agent leave as the chat ends. Every wait is on something the page shows
 * (locators with timeouts), never a sleep.
 */

const [sqlite] = backends();
const WAIT = { timeout: 15_000 };

describe('browser: web chat', () => {
  let t: TestServer;
  let f: FlexFixture;
  let browser: Browser;
  let widgetSid: string;
  before(async () => {
    // The Conversations SDK's live data is projected and pushed on its own, as in production.
    t = await startServer(sqlite, { timers: 'auto' });
    f = await flexWorkspace(t, ['alice']);
    widgetSid = await createWidget(t, f.wsSid);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await t.close();
  });

  /** The transcript's lines, in order: author and text of messages, the text of the others. */
  const transcript = (page: Page) =>
    page.locator('#transcript li').evaluateAll((lis) =>
      lis.map((li) => (li.querySelector('.author') ? `${li.querySelector('.author')!.textContent}: ${li.querySelector('.body')?.textContent ?? ''}` : li.textContent)),
    );
  const status = (page: Page) => page.locator('#status').evaluate((el) => [(el as HTMLElement).dataset.state, el.textContent]);

  test('a customer chats with an agent: waiting, joined, replies, a renewed token, a reload, and the chat ending', async () => {
    const customer = await browser.newPage();
    if (process.env.DEBUG_PAGE) customer.on('console', (m) => console.log('page:', m.text()));
    await customer.goto(`${t.baseUrl}/webchat/?widget=${widgetSid}${process.env.DEBUG_PAGE ? '&log=debug' : ''}`);
    await customer.getByRole('heading', { name: 'Acme support' }).waitFor(WAIT);
    await screenshot(customer, 'webchat-1-start');

    // Labelled inputs: the customer reaches them by their labels, and starts with the keyboard.
    await customer.getByLabel('Your name').fill('Ada Lovelace');
    await customer.getByLabel('Your name').press('Enter');
    await customer.locator('#status[data-state="waiting"]').waitFor(WAIT);
    assert.deepEqual(await status(customer), ['waiting', 'Connected. Waiting for an agent to join: you can write now.']);
    await customerWrites(customer, 'Hello, my order never came');
    assert.equal(await customer.locator('#transcript').getAttribute('aria-live'), 'polite');
    assert.equal(await customer.locator('#status').getAttribute('role'), 'status', 'state changes are announced');
    await assertAccessible(customer, 'waiting for an agent');
    await screenshot(customer, 'webchat-2-customer-wrote');

    // The task is routed to alice, who has not answered yet.
    const [task] = await f.w.tasks.list();
    assert.ok(task, 'a task was created for the chat');
    const attrs = JSON.parse(task.attributes);
    assert.equal(attrs.customerName, 'Ada Lovelace');
    assert.equal(attrs.channelType, 'web');
    const stored = await t.client.conversations.v1.conversations(attrs.conversationSid).messages.list();
    assert.deepEqual(stored.map((m) => m.body), ['Hello, my order never came']);
    assert.match(stored[0].author, /^guest-/);

    // The chat waits for as long as the server's clock says; the token renewal below runs from here.
    t.clock.advance(65_000);

    // alice accepts over REST: she joins the conversation, and the customer sees it.
    const [offer] = await f.pending(task.sid);
    await f.w.tasks(task.sid).reservations(offer.sid).update({ reservationStatus: 'accepted' });
    await customer.locator('#transcript li.system', { hasText: 'alice joined' }).waitFor(WAIT);
    await t.client.conversations.v1.conversations(attrs.conversationSid).messages.create({ author: 'alice', body: 'Hi Ada, let me check that for you.' });
    await customer.locator('#transcript li.theirs', { hasText: 'Hi Ada, let me check that for you.' }).waitFor(WAIT);
    assert.deepEqual(await transcript(customer), ['You: Hello, my order never came', 'alice joined', 'alice: Hi Ada, let me check that for you.']);
    assert.deepEqual(await status(customer), ['joined', "You're chatting with alice."]);
    await assertAccessible(customer, 'agent joined');
    await screenshot(customer, 'webchat-3-agent-joined-and-replied');

    // The token: the server warns the SDK three minutes before it runs out (tokenAboutToExpire); the
    // page renews it and hands it to the SDK (updateToken), which stays connected past the first hour.
    const tokenOf = () => customer.evaluate((key) => JSON.parse(sessionStorage.getItem(key) ?? '{}').token as string, `switchyard.webchat.${widgetSid}`);
    const first = await tokenOf();
    t.clock.advance(58 * 60_000 - 65_000);
    await customer.waitForFunction((args) => JSON.parse(sessionStorage.getItem(args.key) ?? '{}').token !== args.first, { key: `switchyard.webchat.${widgetSid}`, first }, WAIT);
    assert.notEqual(await tokenOf(), first);
    t.clock.advance(3 * 60_000);
    t.server.sdk.endpoint.checkTokens(); // the first token has run out: a connection still on it would be closed now
    await t.client.conversations.v1.conversations(attrs.conversationSid).messages.create({ author: 'alice', body: 'Are you still there, Ada?' });
    await customer.locator('#transcript li.theirs', { hasText: 'Are you still there, Ada?' }).waitFor(WAIT);
    assert.deepEqual(await status(customer), ['joined', "You're chatting with alice."], 'no error shown');

    // A reload resumes the chat: the page renews its token and the SDK reads back what was said.
    await customer.reload();
    await customer.locator('#status[data-state="joined"]', { hasText: 'alice' }).waitFor(WAIT);
    await customer.locator('#transcript li.theirs', { hasText: 'Are you still there, Ada?' }).waitFor(WAIT);
    assert.deepEqual(await transcript(customer), ['You: Hello, my order never came', 'alice: Hi Ada, let me check that for you.', 'alice: Are you still there, Ada?']);
    await screenshot(customer, 'webchat-3b-reloaded');

    // The agent closes the chat: she leaves, and the customer is told.
    const interaction = await t.client.flexApi.v1.interaction(attrs.flexInteractionSid).fetch();
    await t.client.flexApi.v1.interaction(interaction.sid).channels((interaction.channel as { sid: string }).sid).update({ status: 'closed', routing: { status: 'wrapup' } });
    await customer.locator('#transcript li.system', { hasText: 'alice left the chat' }).waitFor(WAIT);
    assert.deepEqual(await members(t, attrs.conversationSid), [stored[0].author]);
    // The chat closed with her leaving: the page says so, and nothing more can be sent.
    await customer.locator('#status[data-state="ended"]').waitFor(WAIT);
    assert.deepEqual(await status(customer), ['ended', 'This chat has ended.']);
    assert.equal(await customer.getByLabel('Message', { exact: true }).isDisabled(), true);
    assert.equal(await customer.getByRole('button', { name: 'Send' }).isDisabled(), true);
    assert.equal(await customer.getByRole('button', { name: 'Start a new chat' }).isVisible(), true);
    await assertAccessible(customer, 'ended by the agent');
    await screenshot(customer, 'webchat-4-agent-left');
    await customer.close();
  });

  test('embed.js adds a labelled button that opens the chat in an iframe, and closes it again', async () => {
    const page = await browser.newPage();
    await page.goto(`${t.baseUrl}/health`);
    await page.setContent(`<!doctype html><html lang="en"><head><title>Shop</title></head><body><h1>Shop</h1><script src="${t.baseUrl}/webchat/embed.js" data-widget="${widgetSid}"></script></body></html>`);
    const open = page.getByRole('button', { name: 'Chat with us' });
    await open.waitFor(WAIT);
    assert.equal(await open.getAttribute('aria-expanded'), 'false');
    await open.focus();
    await page.keyboard.press('Enter');
    const chat = page.frameLocator('iframe[title="Chat with us"]');
    await chat.getByLabel('Your name').waitFor(WAIT);
    assert.equal(await open.getAttribute('aria-expanded'), 'true');
    await screenshot(page, 'webchat-5-embedded');
    await page.getByRole('button', { name: 'Close chat' }).click();
    assert.equal(await page.locator('[role="dialog"]').isHidden(), true);
    assert.equal(await open.getAttribute('aria-expanded'), 'false');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Chat with us', 'focus goes back to the button');
    await page.close();
  });

  test('the chat page without a widget, or with a wrong one, says so', async () => {
    const page = await browser.newPage();
    await page.goto(`${t.baseUrl}/webchat/`);
    await page.locator('#problem', { hasText: 'This chat is not set up' }).waitFor(WAIT);
    await page.goto(`${t.baseUrl}/webchat/?widget=YW${'0'.repeat(32)}`);
    await page.locator('#problem', { hasText: 'This chat is not available' }).waitFor(WAIT);
    assert.equal(await page.locator('#start').isHidden(), true, 'no name form for a widget that does not exist');
    await page.close();
  });
});

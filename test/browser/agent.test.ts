import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { flexWorkspace, members, routedTask, type FlexFixture } from '../api/flex-helpers.ts';
import { launchBrowser, screenshot, setAgentPassword } from './support.ts';

/**
 * The agent desktop in a real browser, with Twilio's official worker and Conversations SDKs
 * unmodified, against a real server: the agent signs in, goes Available, sees two chats offered
 * (customer, channel and a countdown), accepts one and rejects the other, reads the customer's
 * message, replies, ends the chat (wrap-up) and completes the task; every effect is checked over
 * REST. Then the page renews its tokens and hands them to both SDKs. Every wait is on something the
 * page shows (locators with timeouts), never a sleep.
 */

const [sqlite] = backends();
const WAIT = { timeout: 15_000 };
const PASSWORD = 'desk password 1';

describe('browser: agent desktop', () => {
  let t: TestServer;
  let f: FlexFixture;
  let browser: Browser;
  before(async () => {
    // The page and the SDKs run on real time: so does the server, so countdowns and tokens agree;
    // the Conversations SDK's live data is projected and pushed on its own, as in production.
    t = await startServer(sqlite, { timers: 'auto' });
    t.clock.set(Date.now());
    f = await flexWorkspace(t, ['alice'], { available: false });
    // Two chats at once: alice's chat channel holds two.
    await f.w.workers(f.agents.alice).workerChannels('chat').update({ capacity: 2 });
    await setAgentPassword(t, f.wsSid, f.agents.alice, PASSWORD);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await t.close();
  });

  /** A web chat interaction created over REST, as an application would. */
  async function webChat(identity: string, name: string) {
    const created = await t.client.flexApi.v1.interaction.create({
      channel: { type: 'web', initiated_by: 'api', participants: [{ identity, name }] },
      routing: f.routing({ task_channel_unique_name: 'chat' }),
    });
    const task = routedTask(created.routing);
    return { interactionSid: created.sid, channelSid: (created.channel as { sid: string }).sid, taskSid: task.sid as string, conversationSid: task.attrs.conversationSid as string, identity };
  }

  const seconds = (text: string) => {
    const m = /^(?:(\d+) min )?(\d+) s$/.exec(text.trim());
    assert.ok(m, `a countdown: '${text}'`);
    return Number(m[1] ?? 0) * 60 + Number(m[2]);
  };

  test('sign in, go Available, accept an offer, chat, end the chat, complete; tokens renewed', async () => {
    const page: Page = await browser.newPage();
    if (process.env.DEBUG_PAGE) page.on('console', (m) => console.log('page:', m.text()));
    if (process.env.DEBUG_PAGE) page.on('pageerror', (e) => console.log('page error:', e.message));
    // Page timers on a clock the test can move (time still flows on its own): for the renewal at the end.
    await page.clock.install();
    await page.goto(`${t.baseUrl}/agent/?account=${t.account.accountSid}${process.env.DEBUG_PAGE ? "&log=debug" : ""}`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT);
    assert.equal(await page.getByLabel('Account SID').inputValue(), t.account.accountSid, 'prefilled from ?account=');

    // A wrong password is refused on the page.
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'not right' }).waitFor(WAIT);
    await screenshot(page, 'agent-1-wrong-password');

    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByLabel('Password').press('Enter');
    await page.locator('#connection', { hasText: 'Connected' }).waitFor(WAIT);
    await page.getByText('Signed in as alice').waitFor(WAIT);
    assert.equal(await page.getByLabel('Activity').locator('option:checked').innerText(), 'Offline (not available)');
    await screenshot(page, 'agent-2-signed-in');

    // Available, through the SDK: REST sees it.
    await page.getByLabel('Activity').selectOption({ label: 'Available' });
    await page.locator('#connection', { hasText: 'You are now Available' }).waitFor(WAIT);
    const w = await f.w.workers(f.agents.alice).fetch();
    assert.equal(w.activityName, 'Available');
    assert.equal(w.available, true);
    await screenshot(page, 'agent-3-available');

    // Two chats arrive as two offers, each with its customer, channel and a countdown.
    const ada = await webChat('ada-web', 'Ada Lovelace');
    const grace = await webChat('grace-web', 'Grace Hopper');
    const adaOffer = page.locator(`li.offer[data-task="${ada.taskSid}"]`);
    const graceOffer = page.locator(`li.offer[data-task="${grace.taskSid}"]`);
    await adaOffer.waitFor(WAIT);
    await graceOffer.waitFor(WAIT);
    assert.equal(await adaOffer.locator('.customer').innerText(), 'Ada Lovelace');
    assert.equal((await adaOffer.locator('.channel').innerText()).toLowerCase(), 'web');
    assert.match(await adaOffer.innerText(), /Queue: Support/);
    const left = seconds(await adaOffer.locator('.countdown').innerText());
    assert.ok(left > 100 && left <= 120, `about two minutes to answer (workflow timeout 120 s): ${left}`);
    // The countdown runs.
    await page.waitForFunction(
      ([sel, first]) => {
        const text = document.querySelector(sel)?.textContent ?? '';
        return text !== '' && text !== first;
      },
      [`li.offer[data-task="${ada.taskSid}"] .countdown`, await adaOffer.locator('.countdown').innerText()] as const,
      WAIT,
    );
    await page.locator('#announce', { hasText: /New web offer from (Ada Lovelace|Grace Hopper)/ }).waitFor({ ...WAIT, state: 'attached' });
    await screenshot(page, 'agent-4-offers');

    // Reject Grace's (keyboard: focus the button, press Enter); accept Ada's.
    await graceOffer.getByRole('button', { name: 'Reject' }).focus();
    await page.keyboard.press('Enter');
    await graceOffer.waitFor({ ...WAIT, state: 'detached' });
    const [graceRes] = await f.reservations(grace.taskSid);
    assert.equal(graceRes.reservationStatus, 'rejected');

    await adaOffer.getByRole('button', { name: 'Accept' }).click();
    const card = page.locator(`article.task[data-task="${ada.taskSid}"]`);
    await card.waitFor(WAIT);
    await adaOffer.waitFor({ ...WAIT, state: 'detached' });
    await card.locator('.state', { hasText: 'in progress' }).waitFor(WAIT);
    assert.equal(await f.status(ada.taskSid), 'assigned');
    assert.deepEqual(await members(t, ada.conversationSid), ['ada-web', 'alice'].sort());
    // Transfer targets: the workspace's queue is offered.
    await card.locator('summary', { hasText: 'Transfer' }).click();
    assert.ok((await card.getByLabel('Transfer to').locator('option').allInnerTexts()).includes('Support'));
    await screenshot(page, 'agent-5-accepted');

    // The customer writes (over REST, as the customer): the transcript shows it.
    await t.client.conversations.v1.conversations(ada.conversationSid).messages.create({ author: 'ada-web', body: 'Hello, my parcel is lost' });
    const transcript = card.getByRole('list', { name: 'Conversation with Ada Lovelace' });
    await transcript.locator('li.theirs', { hasText: 'Hello, my parcel is lost' }).waitFor(WAIT);
    assert.equal(await transcript.getAttribute('aria-live'), 'polite');
    await screenshot(page, 'agent-6-customer-wrote');

    // The agent replies from the desktop: the message is in the conversation, authored by alice.
    await card.getByLabel('Reply to Ada Lovelace').fill('Sorry to hear that. Let me look.');
    await card.getByLabel('Reply to Ada Lovelace').press('Enter');
    await transcript.locator('li.mine', { hasText: 'Sorry to hear that. Let me look.' }).waitFor(WAIT);
    const messages = await t.client.conversations.v1.conversations(ada.conversationSid).messages.list();
    assert.deepEqual(
      messages.map((m) => [m.author, m.body]),
      [
        ['ada-web', 'Hello, my parcel is lost'],
        ['alice', 'Sorry to hear that. Let me look.'],
      ],
    );
    await screenshot(page, 'agent-7-replied');

    // End chat: the task wraps up, the channel closes, alice leaves the conversation.
    assert.equal(await card.getByRole('button', { name: 'Complete' }).count(), 0, 'a chat ends before it is wrapped up and completed');
    await card.getByRole('button', { name: 'End chat' }).click();
    await card.locator('.state', { hasText: 'wrapping up' }).waitFor(WAIT);
    assert.equal(await f.status(ada.taskSid), 'wrapping');
    assert.equal((await t.client.flexApi.v1.interaction(ada.interactionSid).channels(ada.channelSid).fetch()).status, 'closed');
    assert.deepEqual(await members(t, ada.conversationSid), ['ada-web']);
    await screenshot(page, 'agent-8-wrapping');

    // Complete, through the SDK: the card goes, REST says completed.
    await card.getByRole('button', { name: 'Complete' }).click();
    await card.waitFor({ ...WAIT, state: 'detached' });
    assert.equal(await f.status(ada.taskSid), 'completed');
    await page.getByText('No tasks. Accept an offer to start.').waitFor(WAIT);
    await screenshot(page, 'agent-9-completed');

    // Renewal: 55 minutes on, the page asks for fresh tokens and hands the new one to the SDK.
    const before = await page.evaluate(() => JSON.parse(sessionStorage.getItem('switchyard.agent.session') ?? '{}').worker_token as string);
    t.clock.advance(56 * 60_000);
    await page.clock.fastForward('56:00');
    await page.waitForFunction((old) => JSON.parse(sessionStorage.getItem('switchyard.agent.session') ?? '{}').worker_token !== old, before, WAIT);
    const renewed = await page.evaluate(() => JSON.parse(sessionStorage.getItem('switchyard.agent.session') ?? '{}'));
    const iat = (tok: string) => JSON.parse(Buffer.from(tok.split('.')[1], 'base64url').toString()).iat as number;
    assert.ok(iat(renewed.worker_token) >= iat(before) + 55 * 60, 'a token issued later');
    // The Conversations SDK holds the new chat token too: past the first one's hour, its connection lives on.
    const chatSessions = () => [...t.server.sdk.endpoint.all].filter((s) => s.principal?.identity === 'alice');
    const exp = (tok: string) => JSON.parse(Buffer.from(tok.split('.')[1], 'base64url').toString()).exp as number;
    assert.deepEqual(chatSessions().map((s) => s.principal?.expiresAt), [exp(renewed.chat_token) * 1000]);
    t.clock.advance(5 * 60_000);
    t.server.sdk.endpoint.checkTokens();
    assert.deepEqual(chatSessions().map((s) => s.closing), [false], 'not closed for an expired token');

    // The desktop still works: back to Offline through the SDK, seen over REST.
    await page.getByLabel('Activity').selectOption({ label: 'Offline (not available)' });
    await page.locator('#connection', { hasText: 'You are now Offline' }).waitFor(WAIT);
    assert.equal((await f.w.workers(f.agents.alice).fetch()).activityName, 'Offline');
    await screenshot(page, 'agent-10-renewed-offline');

    // Sign out: back to the form.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT);
    await page.close();
  });

  test('one desk per agent: a desk opened in another tab closes the first, which says so; closing the tab leaves the agent Offline', async () => {
    const g = await flexWorkspace(t, ['bob'], { available: false });
    await setAgentPassword(t, g.wsSid, g.agents.bob, PASSWORD);
    const signIn = async () => {
      const page = await browser.newPage();
      await page.goto(`${t.baseUrl}/agent/?account=${t.account.accountSid}`);
      await page.getByLabel('Username').fill('bob');
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByLabel('Password').press('Enter');
      await page.locator('#connection', { hasText: 'Connected' }).waitFor(WAIT);
      return page;
    };
    const first = await signIn();
    await first.getByLabel('Activity').selectOption({ label: 'Available' });
    await first.locator('#connection', { hasText: 'You are now Available' }).waitFor(WAIT);

    const second = await signIn();
    await first.getByRole('alert').filter({ hasText: 'another tab or window' }).waitFor(WAIT);
    await first.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT);
    assert.equal(await second.locator('#connection').innerText(), 'Connected. Offers appear below.', 'the newer desk stays connected');
    assert.equal((await g.w.workers(g.agents.bob).fetch()).activityName, 'Available', 'being replaced is not a disconnection');
    await screenshot(first, 'agent-11-replaced');

    // The agent closes the tab: no more offers for a desk nobody looks at.
    await second.close();
    await t.server.eventBridge.disconnected(g.agents.bob);
    assert.equal((await g.w.workers(g.agents.bob).fetch()).activityName, 'Offline');
    await first.close();
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { HttpDeliveryAdapter } from '../../src/conversations/gateway/outbound.ts';
import { backends, startReceiver, startServer, type Receiver, type TestServer } from '../support/server.ts';
import { within } from '../support/conversations-sdk.ts';
import { inbound } from '../api/conversations-helpers.ts';
import { flexWorkspace, members, routedTask, type FlexFixture } from '../api/flex-helpers.ts';
import { assertAccessible, createWidget, customerWrites, launchBrowser, screenshot, setAgentPassword, signInSupervisor } from './support.ts';

/**
 * A contact center's morning, every person on their own page: Ada on the web chat, Charles by SMS
 * through the inbound gateway, agents alice and bob on their desks, supervisor sam on the board.
 * alice takes both customers, hands Ada to bob (a cold transfer), answers Charles by SMS; each chat
 * ends and is wrapped up with a disposition code. The board follows along, and its figures are
 * checked against what happened (REST reads of the tasks behind it). REST is used for what a
 * business's own backend does (turning the SMS conversation into an interaction) and for checks.
 */

const [sqlite] = backends();
const WAIT = { timeout: 15_000 };
const PASSWORD = 'agent password 1';
const SUPERVISOR_PASSWORD = 'sam password 1';
const BUSINESS = '+15550009100';
const CHARLES = '+15551230077';

describe('browser: two customers, two agents, a supervisor, a transfer, both chats wrapped up with codes', () => {
  let t: TestServer;
  let f: FlexFixture;
  let browser: Browser;
  let widgetSid: string;
  let sms: Receiver;
  before(async () => {
    sms = await startReceiver(() => ({ status: 200, body: JSON.stringify({ sid: 'SM' + 'd'.repeat(32), status: 'sent' }) }));
    t = await startServer(sqlite, { timers: 'auto', outbound: new HttpDeliveryAdapter({ urls: { [BUSINESS]: `${sms.url}/sms` } }) });
    t.clock.set(Date.now());
    f = await flexWorkspace(t, ['alice', 'bob', 'sam'], { available: false });
    for (const name of ['alice', 'bob']) await setAgentPassword(t, f.wsSid, f.agents[name], PASSWORD);
    await f.w.workers(f.agents.sam).update({ attributes: JSON.stringify({ contact_uri: 'client:sam', roles: ['supervisor'] }) });
    await setAgentPassword(t, f.wsSid, f.agents.sam, SUPERVISOR_PASSWORD);
    for (const [code, name] of [['resolved', 'Resolved'], ['refund', 'Refund issued'], ['transferred', 'Transferred']]) {
      const res = await t.http('POST', `/switchyard/v1/Workspaces/${f.wsSid}/DispositionCodes`, { body: new URLSearchParams({ Code: code, FriendlyName: name }).toString() });
      assert.equal(res.status, 201);
    }
    widgetSid = await createWidget(t, f.wsSid);
    // The business number takes texts: each new one starts a conversation (Conversations' auto-creation).
    await t.client.conversations.v1.addressConfigurations.create({ type: 'sms', address: BUSINESS, 'autoCreation.enabled': true });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await t.close();
    await sms?.close();
  });

  async function desk(name: string): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await page.goto(`${t.baseUrl}/agent/?account=${t.account.accountSid}`);
    await page.getByLabel('Username').fill(name);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#connection', { hasText: 'Connected' }).waitFor(WAIT);
    return page;
  }

  async function available(page: Page): Promise<void> {
    await page.getByLabel('Activity').selectOption({ label: 'Available' });
    await page.locator('#connection', { hasText: 'You are now Available' }).waitFor(WAIT);
  }

  /** The board's task cell of an agent, once it says `text`. */
  async function boardSays(board: Page, worker: string, text: string): Promise<void> {
    await board.locator(`#agents tr[data-worker="${worker}"] td.tasks`, { hasText: text }).waitFor(WAIT);
  }

  test('web chat and SMS customers, alice and bob, sam watching: transfer, replies both ways, wrap-up codes, the board matching', async () => {
    const alice = await desk('alice');
    const bob = await desk('bob');
    await available(alice);
    const board = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await signInSupervisor(board, t.baseUrl, t.account.accountSid, 'sam', SUPERVISOR_PASSWORD);
    await board.locator('#live', { hasText: 'Live' }).waitFor(WAIT);
    await boardSays(board, f.agents.alice, 'None');

    // Ada writes on the web chat; alice gets the offer and takes it.
    const ada = await (await browser.newContext({ viewport: { width: 375, height: 740 } })).newPage();
    await ada.goto(`${t.baseUrl}/webchat/?widget=${widgetSid}`);
    await ada.getByLabel('Your name').fill('Ada Lovelace');
    await ada.getByRole('button', { name: /start/i }).click();
    await ada.locator('#status', { hasText: 'Connected' }).waitFor(WAIT);
    await customerWrites(ada, 'Hello, my order never came');
    const [adaTask] = await f.w.tasks.list();
    const adaAttrs = JSON.parse(adaTask.attributes);
    const adaOffer = alice.locator(`li.offer[data-task="${adaTask.sid}"]`);
    await adaOffer.waitFor(WAIT);
    await boardSays(board, f.agents.alice, '1 offered');
    await adaOffer.getByRole('button', { name: 'Accept' }).click();
    const adaAtAlice = alice.locator(`article.task[data-task="${adaTask.sid}"]`);
    await adaAtAlice.locator('.state', { hasText: 'in progress' }).waitFor(WAIT);
    await ada.locator('#transcript li.system', { hasText: 'alice joined' }).waitFor(WAIT);
    await adaAtAlice.getByLabel('Reply to Ada Lovelace').fill('Sorry to hear that, Ada. Let me find it.');
    await adaAtAlice.getByLabel('Reply to Ada Lovelace').press('Enter');
    await ada.locator('#transcript li.theirs', { hasText: 'Sorry to hear that, Ada. Let me find it.' }).waitFor(WAIT);

    // Charles texts the business number; the business's backend makes the conversation an interaction.
    assert.equal((await inbound(t, { From: CHARLES, To: BUSINESS, Body: 'I was charged twice' })).status, 200);
    const cv = t.client.conversations.v1;
    const charlesConversation = await within(
      (async () => {
        for (;;) {
          const found = await cv.participantConversations.list({ address: CHARLES });
          if (found.length > 0) return found[0].conversationSid;
          await new Promise((r) => setTimeout(r, 50));
        }
      })(),
      "Charles's conversation",
      WAIT.timeout,
    );
    const interaction = await t.client.flexApi.v1.interaction.create({
      channel: { type: 'sms', initiated_by: 'customer', properties: { media_channel_sid: charlesConversation } },
      routing: f.routing({ task_channel_unique_name: 'sms', attributes: { customerName: 'Charles' } }),
    });
    const charlesTask = routedTask(interaction.routing).sid as string;
    const charlesOffer = alice.locator(`li.offer[data-task="${charlesTask}"]`);
    await charlesOffer.waitFor(WAIT);
    assert.match(await charlesOffer.innerText(), /I was charged twice/, 'the offer shows the first message');
    await charlesOffer.getByRole('button', { name: 'Accept' }).click();
    const charlesAtAlice = alice.locator(`article.task[data-task="${charlesTask}"]`);
    await charlesAtAlice.locator('.state', { hasText: 'in progress' }).waitFor(WAIT);
    await boardSays(board, f.agents.alice, '2 assigned');
    await screenshot(alice, 'contact-center-full-1-alice-two-chats');
    await screenshot(board, 'contact-center-full-2-board-alice-busy');
    await assertAccessible(board, 'the board with two chats under way');

    // alice answers Charles from the desk: it leaves by SMS from the business number.
    await alice.locator(`li[data-task="${charlesTask}"]`).first().click();
    await charlesAtAlice.getByLabel('Reply to Charles').fill('I see the double charge; refunding one now.');
    await charlesAtAlice.getByLabel('Reply to Charles').press('Enter');
    const out = await within(sms.next(), 'the SMS to Charles', WAIT.timeout);
    assert.deepEqual([out.params.To, out.params.From, out.params.Body], [CHARLES, BUSINESS, 'I see the double charge; refunding one now.']);
    assert.equal((await inbound(t, { From: CHARLES, To: BUSINESS, Body: 'Thank you!', MessageSid: 'SM' + '7'.repeat(32) })).status, 200);
    await charlesAtAlice.locator('li.theirs', { hasText: 'Thank you!' }).waitFor(WAIT);

    // bob comes on; alice hands Ada to him (cold): he takes the offer, Ada sees him, alice wraps up.
    await available(bob);
    await alice.locator(`li[data-task="${adaTask.sid}"]`).first().click();
    await adaAtAlice.locator('summary', { hasText: 'Transfer' }).click();
    await adaAtAlice.getByLabel('Transfer to').focus();
    await within(
      (async () => {
        while (!(await adaAtAlice.getByLabel('Transfer to').locator('option').allInnerTexts()).includes('bob (Available)')) await new Promise((r) => setTimeout(r, 50));
      })(),
      'bob among the transfer targets',
      WAIT.timeout,
    );
    await adaAtAlice.getByLabel('Transfer to').selectOption({ label: 'bob (Available)' });
    await adaAtAlice.getByRole('button', { name: 'Transfer', exact: true }).click();
    const bobOffer = bob.locator('li.offer', { hasText: 'Ada Lovelace' });
    await bobOffer.waitFor(WAIT);
    await bobOffer.getByRole('button', { name: 'Accept' }).click();
    const adaAtBob = bob.locator('article.task', { hasText: 'Ada Lovelace' });
    await adaAtBob.locator('.state', { hasText: 'in progress' }).waitFor(WAIT);
    await ada.locator('#transcript li.system', { hasText: 'bob joined' }).waitFor(WAIT);
    await adaAtAlice.locator('.state', { hasText: 'wrapping up' }).waitFor(WAIT);
    await boardSays(board, f.agents.bob, '1 assigned');
    await boardSays(board, f.agents.alice, '1 assigned, 1 wrapping');
    await screenshot(board, 'contact-center-full-3-board-after-transfer');
    assert.deepEqual(await members(t, adaAttrs.conversationSid), ['bob', (await members(t, adaAttrs.conversationSid)).find((m) => m.startsWith('guest-'))]);
    await adaAtAlice.getByLabel('Disposition').selectOption({ label: 'Transferred' });
    await adaAtAlice.getByRole('button', { name: 'Complete' }).click();
    await adaAtAlice.waitFor({ ...WAIT, state: 'detached' });

    // bob helps Ada, ends the chat and wraps it up as resolved.
    await customerWrites(ada, 'Is it found?');
    await adaAtBob.locator('li.theirs', { hasText: 'Is it found?' }).waitFor(WAIT);
    await adaAtBob.getByLabel('Reply to Ada Lovelace').fill('Yes: it ships today.');
    await adaAtBob.getByLabel('Reply to Ada Lovelace').press('Enter');
    await ada.locator('#transcript li.theirs', { hasText: 'Yes: it ships today.' }).waitFor(WAIT);
    await adaAtBob.getByRole('button', { name: 'End chat' }).click();
    await adaAtBob.locator('.state', { hasText: 'wrapping up' }).waitFor(WAIT);
    await ada.locator('#status', { hasText: /ended/i }).waitFor(WAIT);
    await adaAtBob.getByLabel('Disposition').selectOption({ label: 'Resolved' });
    await adaAtBob.getByLabel('Wrap-up note').fill('Parcel found, ships today.');
    await adaAtBob.getByRole('button', { name: 'Complete' }).click();
    await adaAtBob.waitFor({ ...WAIT, state: 'detached' });

    // alice ends Charles's chat and wraps it up as a refund.
    await alice.locator(`li[data-task="${charlesTask}"]`).first().click();
    await charlesAtAlice.getByRole('button', { name: 'End chat' }).click();
    await charlesAtAlice.locator('.state', { hasText: 'wrapping up' }).waitFor(WAIT);
    await charlesAtAlice.getByLabel('Disposition').selectOption({ label: 'Refund issued' });
    await charlesAtAlice.getByRole('button', { name: 'Complete' }).click();
    await charlesAtAlice.waitFor({ ...WAIT, state: 'detached' });

    // What happened, read behind the pages: three tasks (Ada's, her transfer to bob, Charles's), all
    // completed, each with the code its agent chose.
    const tasks = await f.w.tasks.list();
    const outcomes = Object.fromEntries(tasks.map((x) => [x.sid, [x.assignmentStatus, JSON.parse(x.attributes).conversations?.outcome]]));
    assert.equal(tasks.length, 3, 'Ada, her transfer, Charles');
    assert.deepEqual(outcomes[adaTask.sid], ['completed', 'Transferred']);
    assert.deepEqual(outcomes[charlesTask], ['completed', 'Refund issued']);
    const bobsTask = tasks.find((x) => x.sid !== adaTask.sid && x.sid !== charlesTask);
    assert.deepEqual(outcomes[bobsTask!.sid], ['completed', 'Resolved']);
    assert.equal(JSON.parse(bobsTask!.attributes).disposition.note, 'Parcel found, ships today.');

    // The board matches: nobody has a task, nothing waits, and the hour's chart counts the three tasks.
    await boardSays(board, f.agents.alice, 'None');
    await boardSays(board, f.agents.bob, 'None');
    await board.waitForFunction((sid) => document.querySelector(`#queues tr[data-queue="${sid}"] td.waiting`)?.textContent === '0', f.queueSid, WAIT);
    await board.locator('#chart svg desc', { hasText: /3 tasks entered in all: Support 3/ }).waitFor({ ...WAIT, state: 'attached' });
    const stats = await f.w.taskQueues(f.queueSid).cumulativeStatistics().fetch();
    assert.equal(stats.tasksEntered, 3, "TaskRouter's own count agrees with the board");
    await screenshot(board, 'contact-center-full-4-board-at-the-end');
    await assertAccessible(board, 'the board at the end');
  });
});

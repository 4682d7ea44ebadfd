import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { flexWorkspace, members, routedTask, type FlexFixture } from '../api/flex-helpers.ts';
import { boardServer, makeSupervisor, setPassword, type BoardServer } from '../api/supervisor-helpers.ts';
import { assertAccessible, controlsOutsideViewport, launchBrowser, overflowsHorizontally, screenshot, until } from './support.ts';
import { signInAsSupervisor } from './supervisor-support.ts';

/**
 * The supervisor board in Chromium, at 1280x800 and 375x740, light and dark: a supervisor signs in
 * with their own username and password (an agent without the role is refused), watches the board
 * change as it happens (pushed, nothing to reload), makes an agent Available from the agents table,
 * opens the chat the agent took (monitoring, read-only), then joins it and writes to the customer,
 * and leaves. In every state: axe-core finds nothing serious, every control is inside the
 * viewport, nothing scrolls sideways, and a screenshot is kept under test-results/. Customers and
 * the agent act over REST, as an application and the agent desktop would; every wait is on
 * something the page shows.
 */

const [sqlite] = backends();
const WAIT = { timeout: 15_000 };
const PASSWORD = 'supervisor password 1';

const SIZES = [
  { name: '1280', viewport: { width: 1280, height: 800 }, colorScheme: 'light' as const },
  { name: '375', viewport: { width: 375, height: 740 }, colorScheme: 'light' as const },
  { name: '1280-dark', viewport: { width: 1280, height: 800 }, colorScheme: 'dark' as const },
  { name: '375-dark', viewport: { width: 375, height: 740 }, colorScheme: 'dark' as const },
];

describe('browser: supervisor board', () => {
  let t: TestServer;
  let board: BoardServer;
  let f: FlexFixture;
  let browser: Browser;
  before(async () => {
    // The page counts on the server's clock and runs on real time: so does the server.
    t = await startServer(sqlite, { timers: 'auto' });
    t.clock.set(Date.now());
    board = await boardServer(t);
    f = await flexWorkspace(t, ['alice', 'sam'], { available: false });
    await setPassword(t, f.wsSid, f.agents.alice, PASSWORD);
    await setPassword(t, f.wsSid, f.agents.sam, PASSWORD);
    await makeSupervisor(t, f.wsSid, f.agents.sam);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await board?.close();
    await t?.close();
  });

  async function page(size: (typeof SIZES)[number], extra: BrowserContextOptions = {}): Promise<Page> {
    const context = await browser.newContext({ viewport: size.viewport, colorScheme: size.colorScheme, timezoneId: 'Europe/Paris', ...extra });
    const p = await context.newPage();
    if (process.env.DEBUG_PAGE) p.on('console', (m) => console.log('page:', m.text()));
    if (process.env.DEBUG_PAGE) p.on('pageerror', (e) => console.log('page error:', e.message));
    return p;
  }

  /** The checks every state gets, and its screenshot. */
  async function check(p: Page, state: string): Promise<void> {
    await assertAccessible(p, state);
    assert.deepEqual(await controlsOutsideViewport(p), [], `controls outside the viewport (${state})`);
    assert.equal(await overflowsHorizontally(p), false, `sideways overflow (${state})`);
    await screenshot(p, `supervisor-${state}`);
  }

  /** A customer's chat, as an application creates it (Flex Interactions over REST). */
  async function customerChat(name: string, firstMessage: string) {
    const identity = `customer-${name.toLowerCase()}-${Date.now()}`;
    const created = await t.client.flexApi.v1.interaction.create({
      channel: { type: 'web', initiated_by: 'api', participants: [{ identity, name }] },
      routing: f.routing({ task_channel_unique_name: 'chat' }),
    });
    const task = routedTask(created.routing);
    const conversationSid = task.attrs.conversationSid as string;
    await t.client.conversations.v1.conversations(conversationSid).messages.create({ author: identity, body: firstMessage });
    return { taskSid: task.sid as string, conversationSid, identity, interactionSid: created.sid, channelSid: (created.channel as { sid: string }).sid };
  }

  for (const size of SIZES.slice(0, 2)) {
    test(`sign-in at ${size.name}: an agent without the role is refused, the supervisor gets their workspace's board`, async () => {
      const p = await page(size);
      await p.goto(`${board.url}/supervisor/?account=${t.account.accountSid}`);
      await p.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT);
      assert.equal(await p.getByLabel('Account SID').inputValue(), t.account.accountSid, 'the link fills the account in');
      assert.equal(await p.getByLabel('Auth token').count(), 0, "the account's auth token is not asked for");
      await check(p, `1-sign-in-${size.name}`);

      await signInAsSupervisor(p, board.url, t.account.accountSid, 'alice', PASSWORD);
      await p.getByRole('alert').filter({ hasText: 'is not a supervisor' }).waitFor(WAIT);
      await check(p, `2-agent-refused-${size.name}`);
      await p.getByLabel('Password').fill('wrong password');
      await p.getByLabel('Username').fill('sam');
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByRole('alert').filter({ hasText: 'The username or password is wrong.' }).waitFor(WAIT);

      await signInAsSupervisor(p, board.url, t.account.accountSid, 'sam', PASSWORD);
      await p.locator(`#queues tr[data-queue="${f.queueSid}"]`).waitFor(WAIT);
      assert.equal(await p.locator('#workspace-name').innerText(), (await f.w.fetch()).friendlyName);
      assert.equal(await p.locator('#who').innerText(), 'sam (supervisor)');
      assert.equal(await p.locator('#agents tbody tr').count(), 2);
      assert.equal(await p.getByLabel('Activity of alice').inputValue(), f.act.offline);
      await p.locator('#live', { hasText: 'Live' }).waitFor(WAIT);
      await check(p, `3-board-${size.name}`);

      // A reload keeps the session (renewed first), never the password.
      await p.reload();
      await p.locator(`#queues tr[data-queue="${f.queueSid}"]`).waitFor(WAIT);
      assert.ok(!(await p.evaluate(() => JSON.stringify(sessionStorage))).includes(PASSWORD));
      await p.getByRole('button', { name: 'Sign out' }).click();
      await p.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT);
      assert.equal(await p.evaluate(() => sessionStorage.length), 0);
      await p.context().close();
    });
  }

  /** What a run before may have left (a failed one): no task under way, alice Offline. */
  async function reset(): Promise<void> {
    for (const task of await f.w.tasks.list()) {
      if (task.assignmentStatus === 'pending' || task.assignmentStatus === 'reserved') await f.w.tasks(task.sid).update({ assignmentStatus: 'canceled' });
      if (task.assignmentStatus === 'assigned' || task.assignmentStatus === 'wrapping') await f.w.tasks(task.sid).update({ assignmentStatus: 'completed' });
    }
    await f.w.workers(f.agents.alice).update({ activitySid: f.act.offline });
  }

  for (const size of SIZES) {
    test(`live at ${size.name}: a chat waits, the supervisor makes alice Available, monitors the chat she took, joins it, writes, leaves`, async () => {
      await reset();
      const p = await page(size);
      await signInAsSupervisor(p, board.url, t.account.accountSid, 'sam', PASSWORD);
      const row = p.locator(`#queues tr[data-queue="${f.queueSid}"]`);
      await row.waitFor(WAIT);
      await p.locator('#live', { hasText: 'Live' }).waitFor(WAIT);
      assert.equal(await row.locator('td.waiting').innerText(), '0');

      // A customer writes: the board shows the chat waiting, without a reload.
      const chat = await customerChat('Ada', 'Hello, my order never came.\nIt was order 42.');
      await p.waitForFunction((sid) => document.querySelector(`#queues tr[data-queue="${sid}"] td.waiting`)?.textContent === '1', f.queueSid, WAIT);
      assert.match(await row.locator('td.longest').innerText(), /^\d+ s$/);
      await check(p, `4-waiting-${size.name}`);

      // The supervisor makes alice Available from the agents table: the chat is offered to her.
      await p.getByLabel('Activity of alice').selectOption({ label: 'Available' });
      await p.locator('#said', { hasText: 'alice is now Available.' }).waitFor({ ...WAIT, state: 'attached' });
      assert.equal((await f.w.workers(f.agents.alice).fetch()).activitySid, f.act.available);
      const alice = p.locator(`#agents tr[data-worker="${f.agents.alice}"]`);
      await alice.locator('td.tasks', { hasText: '1 offered' }).waitFor(WAIT);

      // Alice accepts (her desktop would): the chat is under way, on the board and in the list.
      const [offer] = await f.pending(chat.taskSid);
      await f.w.tasks(chat.taskSid).reservations(offer.sid).update({ reservationStatus: 'accepted' });
      await alice.locator('td.tasks', { hasText: '1 assigned' }).waitFor(WAIT);
      await alice.locator('td.capacity', { hasText: 'chat 1 of 1' }).waitFor(WAIT);
      assert.match(await alice.locator('td.longest-chat').innerText(), /^\d+ s$/);
      assert.match(await alice.locator('td.in-activity').innerText(), /^\d+ s$/);
      const item = p.locator(`#chats li[data-task="${chat.taskSid}"]`);
      await item.waitFor(WAIT);
      assert.match(await item.innerText(), /Ada · web/);
      assert.match(await item.innerText(), /with alice for \d+ s/);
      await check(p, `5-chat-under-way-${size.name}`);

      // Monitor: read-only, the transcript with its line breaks; the supervisor is in no conversation.
      await item.getByRole('button', { name: /Monitor the chat with Ada/ }).click();
      const transcript = p.getByRole('log', { name: 'Chat with Ada' });
      const first = transcript.locator('li.customer', { hasText: 'Hello, my order never came.' });
      await first.waitFor(WAIT);
      assert.equal(await first.locator('.body').innerText(), 'Hello, my order never came.\nIt was order 42.');
      await p.locator('#monitor-state', { hasText: 'Monitoring: read-only' }).waitFor(WAIT);
      assert.equal(await p.locator('#say').isVisible(), false, 'no way to write while monitoring');
      assert.ok(!(await members(t, chat.conversationSid)).includes('sam'));
      // Both sides write: the monitor shows it as it happens.
      const cv = t.client.conversations.v1.conversations(chat.conversationSid);
      await cv.messages.create({ author: 'alice', body: 'Sorry to hear that, Ada. Let me look.' });
      await cv.messages.create({ author: chat.identity, body: 'Thank you!' });
      await transcript.locator('li.agent', { hasText: 'Let me look.' }).waitFor(WAIT);
      await transcript.locator('li.customer', { hasText: 'Thank you!' }).waitFor(WAIT);
      assert.match(await transcript.locator('li.agent time').first().innerText(), /^\d{2}:\d{2}:\d{2}$/);
      await check(p, `6-monitoring-${size.name}`);

      // Barge-in: the supervisor joins, is in the conversation, and writes to the customer.
      await p.getByRole('button', { name: 'Join chat' }).click();
      await p.locator('#monitor-state', { hasText: 'You are in this chat as sam' }).waitFor(WAIT);
      assert.ok((await members(t, chat.conversationSid)).includes('sam'));
      const box = p.getByLabel('Your message to the chat');
      await box.fill('Hi Ada, I am the supervisor.\nThe order ships today.');
      await box.press('Enter');
      await transcript.locator('li.supervisor', { hasText: 'I am the supervisor.' }).waitFor(WAIT);
      const stored = await cv.messages.list();
      assert.deepEqual(stored.at(-1) && [stored.at(-1)!.author, stored.at(-1)!.body], ['sam', 'Hi Ada, I am the supervisor.\nThe order ships today.']);
      // The message may be pushed to the transcript before the page has the send's reply and clears the box.
      await until('the message box, cleared once sent', () => box.inputValue(), (v) => v === '');
      await check(p, `7-joined-${size.name}`);

      await p.getByRole('button', { name: 'Leave chat' }).click();
      await p.locator('#monitor-state', { hasText: 'Monitoring: read-only' }).waitFor(WAIT);
      assert.ok(!(await members(t, chat.conversationSid)).includes('sam'));

      // Alice ends the chat: the monitor says so, the list empties; she completes, and goes Offline again.
      await t.client.flexApi.v1.interaction(chat.interactionSid).channels(chat.channelSid).update({ status: 'closed', routing: { status: 'wrapup' } });
      await p.locator('#monitor-state', { hasText: 'This chat has ended.' }).waitFor(WAIT);
      assert.equal(await p.getByRole('button', { name: 'Join chat' }).isDisabled(), true);
      await item.waitFor({ ...WAIT, state: 'detached' });
      await alice.locator('td.tasks', { hasText: '1 wrapping' }).waitFor(WAIT);
      await check(p, `8-ended-${size.name}`);
      await f.w.tasks(chat.taskSid).update({ assignmentStatus: 'completed' });
      await p.getByLabel('Activity of alice').selectOption({ label: 'Offline' });
      await alice.locator('td.tasks', { hasText: 'None' }).waitFor(WAIT);
      await p.getByRole('button', { name: 'Close' }).click();
      assert.equal(await p.locator('#monitor').isVisible(), false);
      await p.context().close();
    });
  }

  test('320 to 1920 px wide, with a chat joined: nothing scrolls sideways, every control inside the viewport', async () => {
    await reset();
    const chat = await customerChat('Bo', 'A very long message without spaces: ' + 'x'.repeat(120));
    await f.w.workers(f.agents.alice).update({ activitySid: f.act.available });
    const [offer] = await f.pending(chat.taskSid);
    await f.w.tasks(chat.taskSid).reservations(offer.sid).update({ reservationStatus: 'accepted' });
    const p = await page({ name: '320', viewport: { width: 320, height: 700 }, colorScheme: 'light' });
    await signInAsSupervisor(p, board.url, t.account.accountSid, 'sam', PASSWORD);
    await p.locator(`#chats li[data-task="${chat.taskSid}"] button`).click();
    await p.getByRole('button', { name: 'Join chat' }).click();
    await p.getByLabel('Your message to the chat').waitFor(WAIT);
    for (const width of [320, 375, 768, 1024, 1280, 1920]) {
      await p.setViewportSize({ width, height: 800 });
      assert.equal(await overflowsHorizontally(p), false, `sideways overflow at ${width} px`);
      assert.deepEqual(await controlsOutsideViewport(p), [], `controls outside the viewport at ${width} px`);
    }
    await p.setViewportSize({ width: 320, height: 700 });
    await check(p, '10-joined-320');
    await t.client.flexApi.v1.interaction(chat.interactionSid).channels(chat.channelSid).update({ status: 'closed', routing: { status: 'wrapup' } });
    await p.context().close();
  });

  test("times: one timezone, named; the chart and the clock in it; durations on the server's clock", async () => {
    const p = await page(SIZES[0], { timezoneId: 'America/New_York' });
    await signInAsSupervisor(p, board.url, t.account.accountSid, 'sam', PASSWORD);
    await p.locator('#updated', { hasText: /^Updated \d{2}:\d{2}:\d{2}$/ }).waitFor(WAIT);
    assert.equal(await p.locator('#timezone').innerText(), 'Times in America/New_York');
    const hour = new Intl.DateTimeFormat('en-GB', { timeZone: 'America/New_York', hour: '2-digit', hourCycle: 'h23' }).format(new Date(t.clock.now()));
    assert.equal((await p.locator('#updated').innerText()).slice(8, 10), hour, "the clock is New York's");
    await p.locator('#chart svg text', { hasText: 'Time (America/New_York, slice start)' }).waitFor({ ...WAIT, state: 'attached' });
    assert.equal(await p.locator('#chart-table thead th').first().textContent(), 'Slice (America/New_York)');
    const lastSlice = (await p.locator('#chart-table tbody th').last().textContent()) ?? '';
    const ny = (ms: number) => new Intl.DateTimeFormat('en-GB', { timeZone: 'America/New_York', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(ms));
    const now = t.clock.now();
    assert.ok([ny(now), ny(now - 60_000)].some((end) => lastSlice.endsWith(`–${end}`)), `the last slice ends now, New York time: ${lastSlice}`);
    // Durations count on the server's clock, not the browser's: ten minutes later by the server, pushed with the next change.
    const inActivity = p.locator(`#agents tr[data-worker="${f.agents.alice}"] td.in-activity`);
    assert.match(await inActivity.innerText(), /^\d+ (s|min \d{2} s)$/);
    t.clock.advance(10 * 60_000);
    const alice = await f.w.workers(f.agents.alice).fetch();
    await f.w.workers(f.agents.alice).update({ attributes: alice.attributes });
    await p.waitForFunction((sid) => /^1\d min \d{2} s$/.test(document.querySelector(`#agents tr[data-worker="${sid}"] td.in-activity`)?.textContent ?? ''), f.agents.alice, WAIT);
    await check(p, '9-timezone-1280');
    await p.context().close();
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { chatToken, connectSdk, nextEvent, within, type Client, type Conversation, type Message, type Participant } from '../support/conversations-sdk.ts';
import { flexWorkspace, members, routedTask, type FlexFixture } from '../api/flex-helpers.ts';
import { assertAccessible, controlsOutsideViewport, launchBrowser, overflowsHorizontally, panesOverflowing, png, screenshot, setAgentPassword, until } from './support.ts';

/**
 * The agent desktop as agents used to Flex, Chatwoot or Zendesk work with it, in Chromium against a
 * real server, at 1280x800 and at 375x740 (in dark mode): the task list, the conversation and the
 * customer panel (with the customer's earlier conversation and how it ended); an offer that chimes
 * and raises a browser notification (Chromium's permission granted; the permission asked once),
 * accepted from the keyboard; the first message on the offer; line breaks, timestamps, typing and
 * read state both ways; a canned response; attachments both ways (the customer is the official
 * Conversations SDK in Node, so what it receives is what any client would); End chat, the wrap-up
 * countdown, a disposition code and a note stored on the task; a warm transfer between two desks;
 * the wrap-up completed by the countdown. axe-core finds no serious or critical violation in any
 * state, and no control leaves the viewport. Waits are on what the page or the SDK shows, or polls
 * with a deadline; never a sleep.
 */

const [sqlite] = backends();
const WAIT = { timeout: 15_000 };
const PASSWORD = 'desk password 1';



/** Counts, in the page, the chime's oscillators and the notification permission prompts (browser APIs, watched). */
const WATCH = `
  window.__chimes = 0;
  window.__asked = 0;
  const osc = AudioContext.prototype.createOscillator;
  AudioContext.prototype.createOscillator = function () { window.__chimes++; return osc.call(this); };
  const ask = Notification.requestPermission.bind(Notification);
  Notification.requestPermission = function () { window.__asked++; return ask(); };
`;


describe('browser: the agent desktop as agents know it', () => {
  let t: TestServer;
  let f: FlexFixture;
  let browser: Browser;
  const customers: Client[] = [];
  const form = (o: Record<string, string>) => new URLSearchParams(o).toString();
  before(async () => {
    t = await startServer(sqlite, { timers: 'auto' });
    t.clock.set(Date.now());
    f = await flexWorkspace(t, ['alice', 'bob'], { available: false });
    for (const name of ['alice', 'bob']) await setAgentPassword(t, f.wsSid, f.agents[name], PASSWORD);
    // What an administrator sets up: disposition codes and a canned response.
    for (const [code, name] of [['resolved', 'Resolved'], ['escalated', 'Escalated']])
      assert.equal((await t.http('POST', `/switchyard/v1/Workspaces/${f.wsSid}/DispositionCodes`, { body: form({ Code: code, FriendlyName: name }) })).status, 201);
    const canned = await t.http('POST', `/switchyard/v1/Workspaces/${f.wsSid}/CannedResponses`, {
      body: form({ FriendlyName: 'Refund policy', Category: 'Billing', Body: 'Hi {{customer.first_name}},\nrefunds take 5 working days.' }),
    });
    assert.equal(canned.status, 201);
    browser = await launchBrowser();
  });
  after(async () => {
    for (const c of customers) await within(c.shutdown(), 'shutdown', 2000).catch(() => undefined);
    await browser?.close();
    await t.close();
  });

  /** A web chat from `identity` (named `name`) as a site's backend starts it through Flex Interactions. */
  async function webChat(identity: string, name: string) {
    const created = await t.client.flexApi.v1.interaction.create({
      channel: { type: 'web', initiated_by: 'api', participants: [{ identity, name }] },
      routing: f.routing({ task_channel_unique_name: 'chat' }),
    });
    const task = routedTask(created.routing);
    return { interactionSid: created.sid, taskSid: task.sid as string, conversationSid: task.attrs.conversationSid as string };
  }

  /** The customer on the official Conversations SDK, in the chat. */
  async function customer(identity: string, conversationSid: string): Promise<Conversation> {
    const client = await connectSdk(t.baseUrl, chatToken(t.account, identity));
    customers.push(client);
    return within(client.getConversationBySid(conversationSid), 'the customer opens the chat');
  }

  async function newDesk(opts: { width: number; height: number; dark?: boolean; grant?: boolean }): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: opts.width, height: opts.height }, colorScheme: opts.dark ? 'dark' : 'light' });
    if (opts.grant) await context.grantPermissions(['notifications'], { origin: t.baseUrl });
    await context.addInitScript(WATCH);
    const page = await context.newPage();
    if (process.env.DEBUG_PAGE) page.on('console', (m) => console.log('page:', m.text()));
    if (process.env.DEBUG_PAGE) page.on('pageerror', (e) => console.log('page error:', e.message));
    return { context, page };
  }

  async function signIn(page: Page, name: string, available = true) {
    await page.goto(`${t.baseUrl}/agent/?account=${t.account.accountSid}`);
    await page.getByLabel('Username').fill(name);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#connection', { hasText: 'Connected' }).waitFor(WAIT);
    if (!available) return;
    await page.getByLabel('Activity').selectOption({ label: 'Available' });
    await page.locator('#connection', { hasText: 'You are now Available' }).waitFor(WAIT);
  }

  async function notifications(page: Page): Promise<string[]> {
    return page.evaluate(async () => {
      const reg = await navigator.serviceWorker.getRegistration();
      return reg ? (await reg.getNotifications()).map((n) => `${n.title} | ${n.body}`) : [];
    });
  }

  async function assertFits(page: Page, state: string) {
    assert.deepEqual(await controlsOutsideViewport(page), [], `controls outside the viewport (${state})`);
    assert.deepEqual(await panesOverflowing(page), [], `content wider than its pane (${state})`);
    assert.equal(await overflowsHorizontally(page), false, `sideways overflow (${state})`);
    await assertAccessible(page, state);
  }

  test('1280x800: offer with chime and notification, customer panel, keyboard accept, typing, read state, canned response, attachments both ways, wrap-up with a code', async () => {
    // Ada wrote once before: alice wrapped that chat up as Resolved (over the API, before this desk opened).
    await f.w.workers(f.agents.alice).update({ activitySid: f.act.available });
    const earlier = await webChat('ada-web', 'Ada Lovelace');
    const [first] = await f.pending(earlier.taskSid);
    await f.w.tasks(earlier.taskSid).reservations(first.sid).update({ reservationStatus: 'accepted' });
    const session = await t.http('POST', '/switchyard/v1/Agent/Sessions', { body: form({ AccountSid: t.account.accountSid, Username: 'alice', Password: PASSWORD }), auth: null });
    const bearer = { authorization: `Bearer ${session.body.worker_token}` };
    assert.equal((await t.http('POST', `/switchyard/v1/Agent/Tasks/${earlier.taskSid}/EndChat`, { auth: null, headers: bearer })).status, 200);
    const noted = await t.http('POST', `/switchyard/v1/Agent/Tasks/${earlier.taskSid}/WrapUp`, { auth: null, headers: bearer, body: form({ DispositionCode: 'resolved', Note: 'Parcel found.' }) });
    assert.equal(noted.status, 200);
    await f.w.tasks(earlier.taskSid).update({ assignmentStatus: 'completed' });
    await f.w.workers(f.agents.alice).update({ activitySid: f.act.offline });

    const { context, page } = await newDesk({ width: 1280, height: 800, grant: true });
    await signIn(page, 'alice');
    assert.equal(await page.evaluate(() => Notification.permission), 'granted');
    assert.equal(await page.evaluate(() => (window as unknown as { __asked: number }).__asked), 0, 'granted already: nothing to ask');
    await until('the service worker', () => page.evaluate(async () => Boolean(await navigator.serviceWorker.getRegistration())), (v) => v);
    await assertFits(page, 'signed in, 1280');
    await screenshot(page, 'agent-desk-1280-1-signed-in');

    // Ada writes (two lines) before anyone took her chat: the offer shows it, chimes and notifies.
    const chat = await webChat('ada-web', 'Ada Lovelace');
    const ada = await customer('ada-web', chat.conversationSid);
    await within(ada.sendMessage('My parcel is lost again.\nOrder 42, sent on Monday.'), 'Ada writes');
    const offer = page.locator(`li.offer[data-task="${chat.taskSid}"]`);
    await offer.waitFor(WAIT);
    await offer.locator('.preview', { hasText: 'My parcel is lost again.' }).waitFor(WAIT);
    assert.equal(await offer.locator('.customer').innerText(), 'Ada Lovelace');
    assert.match(await offer.innerText(), /Queue: Support · Waiting \d+ s/);
    assert.match(await offer.locator('.countdown').innerText(), /^\d+ min \d+ s$/);
    await until('the chime', () => page.evaluate(() => (window as unknown as { __chimes: number }).__chimes), (n) => n >= 2);
    assert.deepEqual(await until('the notification', () => notifications(page), (n) => n.length > 0), ['New web from Ada Lovelace | Support: answer on the agent desktop.']);
    // The customer panel: who, where from, and the chat before, with how it ended.
    const panel = page.locator('aside.customer-panel');
    await panel.locator('.history li', { hasText: 'Resolved' }).waitFor(WAIT);
    assert.equal(await panel.locator('.customer-name').innerText(), 'Ada Lovelace');
    assert.equal(await panel.locator('.address').innerText(), 'ada-web');
    assert.match(await panel.locator('.history li').innerText(), /Resolved[\s\S]*with alice[\s\S]*Parcel found\./);
    await assertFits(page, 'offer, 1280');
    await screenshot(page, 'agent-desk-1280-2-offer');

    // The shortcuts are listed (?), and Alt+A takes the offer.
    await page.keyboard.press('?');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await help.waitFor(WAIT);
    assert.match(await help.innerText(), /Alt\+A\s+Accept the oldest offer/);
    await assertAccessible(page, 'shortcuts, 1280');
    await page.keyboard.press('Escape');
    await help.waitFor({ ...WAIT, state: 'hidden' });
    await page.keyboard.press('Alt+KeyA');
    const card = page.locator(`article.task[data-task="${chat.taskSid}"]`);
    await card.locator('.state', { hasText: 'in progress' }).waitFor(WAIT);
    await offer.waitFor({ ...WAIT, state: 'detached' });
    assert.deepEqual(await until('the notification taken back', () => notifications(page), (n) => n.length === 0), []);
    assert.equal(await f.status(chat.taskSid), 'assigned');

    // Her message as she wrote it: both lines, with its time.
    const transcript = card.getByRole('list', { name: 'Conversation with Ada Lovelace' });
    const hers = transcript.locator('li.theirs', { hasText: 'My parcel is lost again.' });
    await hers.waitFor(WAIT);
    assert.equal(await hers.locator('.body').innerText(), 'My parcel is lost again.\nOrder 42, sent on Monday.');
    assert.ok(Date.parse((await hers.locator('time').getAttribute('datetime')) ?? '') > Date.now() - 120_000, 'a timestamp');
    assert.match(await page.locator(`li.task-item[data-task="${chat.taskSid}"]`).innerText(), /Ada Lovelace[\s\S]*My parcel is lost again\./);

    // Typing, both ways.
    await within(ada.typing(), 'Ada types');
    await card.locator('.typing', { hasText: 'Ada Lovelace is typing…' }).waitFor(WAIT);
    const aliceTypes = nextEvent<Participant>(ada, 'typingStarted', (p) => p.identity === 'alice');
    await card.getByLabel('Reply to Ada Lovelace').pressSequentially('On it');
    await aliceTypes;
    await card.getByLabel('Reply to Ada Lovelace').fill('');

    // A canned response: / opens the search; the customer's first name is filled in.
    await card.getByLabel('Reply to Ada Lovelace').press('/');
    const search = card.getByLabel('Search canned responses');
    await search.waitFor(WAIT);
    await search.fill('refund');
    await card.getByRole('button', { name: /Refund policy/ }).waitFor(WAIT);
    await assertFits(page, 'canned responses, 1280');
    await screenshot(page, 'agent-desk-1280-3-canned');
    await search.press('Enter');
    assert.equal(await card.getByLabel('Reply to Ada Lovelace').inputValue(), 'Hi Ada,\nrefunds take 5 working days.');
    const atAda = nextEvent<Message>(ada, 'messageAdded', (m) => m.author === 'alice');
    await card.getByLabel('Reply to Ada Lovelace').press('Enter');
    assert.equal((await atAda).body, 'Hi Ada,\nrefunds take 5 working days.');
    const mine = transcript.locator('li.mine', { hasText: 'refunds take 5 working days.' });
    await mine.locator('.read-state', { hasText: 'Sent' }).waitFor(WAIT);

    // Ada reads it: the desk says so.
    await within(ada.setAllMessagesRead(), 'Ada reads');
    await mine.locator('.read-state', { hasText: 'Read' }).waitFor(WAIT);

    // Ada sends a photo: the desk shows it.
    await within(ada.sendMessage({ contentType: 'image/png', filename: 'parcel.png', media: png(40, 30) } as never), 'Ada sends a photo');
    const photo = transcript.locator('li.theirs img[alt="parcel.png"]');
    await photo.waitFor(WAIT);
    await until('the photo decoded', () => photo.evaluate((img: HTMLImageElement) => img.naturalWidth), (w) => w === 40);

    // alice sends a file: Ada gets it, byte for byte, through the SDK's media.
    const pdf = Buffer.from('%PDF-1.4\n% a return label\n%%EOF\n');
    await card.locator('input[type=file]').setInputFiles({ name: 'return-label.pdf', mimeType: 'application/pdf', buffer: pdf });
    await card.locator('.file-name', { hasText: 'return-label.pdf' }).waitFor(WAIT);
    const withFile = nextEvent<Message>(ada, 'messageAdded', (m) => m.author === 'alice' && (m.attachedMedia?.length ?? 0) > 0);
    await card.getByLabel('Reply to Ada Lovelace').fill('Here is your return label.');
    await card.getByRole('button', { name: 'Send' }).click();
    const got = await withFile;
    assert.equal(got.body, 'Here is your return label.');
    const media = got.attachedMedia![0];
    assert.deepEqual([media.filename, media.contentType], ['return-label.pdf', 'application/pdf']);
    const url = await within(media.getContentTemporaryUrl() as Promise<string>, 'the file URL');
    assert.deepEqual(Buffer.from(await (await fetch(url)).arrayBuffer()), pdf);
    await transcript.locator('li.mine a', { hasText: 'return-label.pdf' }).waitFor(WAIT);
    await assertFits(page, 'conversation, 1280');
    await screenshot(page, 'agent-desk-1280-4-conversation');
    // Three columns across the width.
    const boxes = await Promise.all(['nav.tasklist', 'section.work', 'aside.customer-panel'].map((s) => page.locator(s).boundingBox()));
    assert.ok(boxes.every((b) => b && b.y < 100 && b.height > 600), `three full-height columns: ${JSON.stringify(boxes)}`);
    assert.ok(boxes[0]!.x < boxes[1]!.x && boxes[1]!.x < boxes[2]!.x && boxes[2]!.x + boxes[2]!.width > 1200, 'side by side, using the width');

    // Alt+E ends the chat: wrap-up with its countdown; the code and note land on the task.
    await page.keyboard.press('Alt+KeyE');
    await card.locator('.state', { hasText: 'wrapping up' }).waitFor(WAIT);
    const countdown = card.locator('.wrapup-countdown');
    assert.match(await countdown.innerText(), /^Completes automatically in (1 min \d\d|2 min 00) s$/);
    const before = await countdown.innerText();
    await until('the countdown running', () => countdown.innerText(), (v) => v !== before);
    assert.deepEqual(await members(t, chat.conversationSid), ['ada-web']);
    await assertFits(page, 'wrap-up, 1280');
    await screenshot(page, 'agent-desk-1280-5-wrap-up');
    await card.getByLabel('Disposition').selectOption({ label: 'Resolved' });
    await card.getByLabel('Wrap-up note').fill('Refund promised.\nLabel sent.');
    await card.getByRole('button', { name: 'Complete' }).click();
    await card.waitFor({ ...WAIT, state: 'detached' });
    const done = await f.w.tasks(chat.taskSid).fetch();
    assert.equal(done.assignmentStatus, 'completed');
    const attrs = JSON.parse(done.attributes);
    assert.equal(attrs.conversations.outcome, 'Resolved');
    assert.deepEqual([attrs.disposition.code, attrs.disposition.name, attrs.disposition.note, attrs.disposition.worker_sid], ['resolved', 'Resolved', 'Refund promised.\nLabel sent.', f.agents.alice]);
    await page.getByText('No tasks. Accept an offer to start.').waitFor(WAIT);
    await screenshot(page, 'agent-desk-1280-6-done');
    await page.getByLabel('Activity').selectOption({ label: 'Offline (not available)' });
    await page.locator('#connection', { hasText: 'You are now Offline' }).waitFor(WAIT);
    await context.close();
  });

  test('375x740, dark: header and every control on screen, a chat taken, answered and wrapped up', async () => {
    const { context, page } = await newDesk({ width: 375, height: 740, dark: true });
    await signIn(page, 'bob');
    assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor), 'rgb(21, 23, 25)', 'the dark colours');
    const signOut = await page.getByRole('button', { name: 'Sign out' }).boundingBox();
    assert.ok(signOut && signOut.x >= 0 && signOut.x + signOut.width <= 375 && signOut.y + signOut.height <= 740, `Sign out on screen: ${JSON.stringify(signOut)}`);
    await assertFits(page, 'signed in, 375');
    await screenshot(page, 'agent-desk-375-1-signed-in');

    const chat = await webChat('grace-web', 'Grace Hopper');
    await t.client.conversations.v1.conversations(chat.conversationSid).messages.create({ author: 'grace-web', body: 'A long address: https://example.com/orders/0123456789abcdef0123456789abcdef0123456789' });
    const offer = page.locator(`li.offer[data-task="${chat.taskSid}"]`);
    await offer.locator('.preview', { hasText: 'A long address' }).waitFor(WAIT);
    await assertFits(page, 'offer, 375');
    await screenshot(page, 'agent-desk-375-2-offer');
    await offer.getByRole('button', { name: 'Accept' }).click();
    const card = page.locator(`article.task[data-task="${chat.taskSid}"]`);
    await card.locator('.state', { hasText: 'in progress' }).waitFor(WAIT);
    await card.getByRole('list', { name: 'Conversation with Grace Hopper' }).locator('li.theirs', { hasText: 'A long address' }).waitFor(WAIT);
    await card.getByLabel('Reply to Grace Hopper').fill('Let me check that order.');
    await card.getByLabel('Reply to Grace Hopper').press('Enter');
    await card.locator('li.mine', { hasText: 'Let me check that order.' }).waitFor(WAIT);
    await assertFits(page, 'conversation, 375');
    await screenshot(page, 'agent-desk-375-3-conversation');

    await card.getByRole('button', { name: 'End chat' }).click();
    await card.locator('.state', { hasText: 'wrapping up' }).waitFor(WAIT);
    await card.getByLabel('Disposition').selectOption({ label: 'Escalated' });
    await assertFits(page, 'wrap-up, 375');
    await screenshot(page, 'agent-desk-375-4-wrap-up');
    await card.getByRole('button', { name: 'Complete' }).click();
    await card.waitFor({ ...WAIT, state: 'detached' });
    assert.equal(JSON.parse((await f.w.tasks(chat.taskSid).fetch()).attributes).conversations.outcome, 'Escalated');
    await page.getByLabel('Activity').selectOption({ label: 'Offline (not available)' });
    await page.locator('#connection', { hasText: 'You are now Offline' }).waitFor(WAIT);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT);
    await context.close();
  });

  test('warm transfer between two desks; the wrap-up countdown completes the task with the code chosen', async () => {
    const settings = await t.http('POST', `/switchyard/v1/Workspaces/${f.wsSid}/AgentDesktop`, { body: form({ WrapUpTimeout: '4' }) });
    assert.equal(settings.status, 200);
    const a = await newDesk({ width: 1280, height: 800 });
    const b = await newDesk({ width: 1280, height: 800 });
    await signIn(a.page, 'alice');
    await signIn(b.page, 'bob', false);
    const chat = await webChat('kay-web', 'Kay Thompson');
    const kay = await customer('kay-web', chat.conversationSid);
    const offer = a.page.locator(`li.offer[data-task="${chat.taskSid}"]`);
    await offer.getByRole('button', { name: 'Accept' }).click();
    const card = a.page.locator(`article.task[data-task="${chat.taskSid}"]`);
    await card.locator('.state', { hasText: 'in progress' }).waitFor(WAIT);
    await b.page.getByLabel('Activity').selectOption({ label: 'Available' });
    await b.page.locator('#connection', { hasText: 'You are now Available' }).waitFor(WAIT);

    // alice hands the chat to bob, warm: she stays until he joins.
    await card.locator('summary', { hasText: 'Transfer' }).click();
    await card.getByLabel('Transfer to').focus();
    await until('bob among the targets', () => card.getByLabel('Transfer to').locator('option').allInnerTexts(), (o) => o.includes('bob (Available)'));
    await card.getByLabel('Transfer to').selectOption({ label: 'bob (Available)' });
    await card.getByLabel('Warm: stay until they join').check();
    await card.getByRole('button', { name: 'Transfer', exact: true }).click();
    await card.locator('.transfer-state', { hasText: 'Warm transfer to bob: waiting for them to accept' }).waitFor(WAIT);
    await assertAccessible(a.page, 'warm transfer waiting');
    await screenshot(a.page, 'agent-desk-transfer-1-waiting');

    const bobOffer = b.page.locator('li.offer', { hasText: 'Kay Thompson' });
    await bobOffer.locator('.transfer-from', { hasText: 'Warm transfer from alice' }).waitFor(WAIT);
    await screenshot(b.page, 'agent-desk-transfer-2-offer-to-bob');
    await bobOffer.getByRole('button', { name: 'Accept' }).click();
    await card.locator('.transfer-state', { hasText: 'bob joined' }).waitFor(WAIT);
    assert.deepEqual(await members(t, chat.conversationSid), ['alice', 'bob', 'kay-web']);
    // All three read each other.
    await within(kay.sendMessage('Thanks both!'), 'Kay writes');
    await card.locator('li.theirs', { hasText: 'Thanks both!' }).waitFor(WAIT);
    const bobCard = b.page.locator('article.task', { hasText: 'Kay Thompson' });
    await bobCard.locator('li.theirs', { hasText: 'Thanks both!' }).waitFor(WAIT);
    await screenshot(a.page, 'agent-desk-transfer-3-joined');

    // alice leaves: her task wraps up; bob keeps the chat.
    await card.getByRole('button', { name: 'Leave the chat' }).click();
    await card.locator('.state', { hasText: 'wrapping up' }).waitFor(WAIT);
    assert.deepEqual(await members(t, chat.conversationSid), ['bob', 'kay-web']);
    assert.equal(await bobCard.locator('.state').innerText(), 'in progress');

    // alice picks a code and lets the countdown (4 s, set above) complete the task.
    await card.getByLabel('Disposition').selectOption({ label: 'Escalated' });
    await card.locator('.wrapup-countdown', { hasText: /Completes automatically in [1-4] s/ }).waitFor(WAIT);
    await card.waitFor({ ...WAIT, state: 'detached' });
    const closed = await f.w.tasks(chat.taskSid).fetch();
    assert.equal(closed.assignmentStatus, 'completed');
    assert.equal(JSON.parse(closed.attributes).conversations.outcome, 'Escalated');
    await a.context.close();
    await b.context.close();
  });

  test('the notification permission is asked once, on the sign-in click', async () => {
    const { context, page } = await newDesk({ width: 1280, height: 800 });
    // The agent closes the browser's prompt without answering: the permission stays 'default' (headless
    // Chromium would deny it at once, which would hide whether the desk asks again).
    await context.addInitScript(`Notification.requestPermission = function () { window.__asked++; return Promise.resolve('default'); };`);
    await signIn(page, 'alice', false);
    assert.equal(await page.evaluate(() => (window as unknown as { __asked: number }).__asked), 1);
    assert.equal(await page.evaluate(() => Notification.permission), 'default');
    assert.ok(await page.evaluate(() => localStorage.getItem('switchyard.agent.notifications-asked')));
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#connection', { hasText: 'Connected' }).waitFor(WAIT);
    assert.equal(await page.evaluate(() => (window as unknown as { __asked: number }).__asked), 1, 'not asked again');
    // Nor after a reload (the page's counter starts again: the desk resumes its session without asking).
    await page.reload();
    await page.locator('#connection', { hasText: 'Connected' }).waitFor(WAIT);
    assert.equal(await page.evaluate(() => (window as unknown as { __asked: number }).__asked), 0);
    await context.close();
  });
});

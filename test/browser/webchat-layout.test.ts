import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Frame, Page } from 'playwright-core';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { flexWorkspace, type FlexFixture } from '../api/flex-helpers.ts';
import { assertAccessible, controlsOutsideViewport, createWidget, customerWrites, launchBrowser, overflowsHorizontally, screenshot } from './support.ts';

/**
 * The web chat on a customer's phone and site: at 1280x800, 375x740 and 320x568 (and 1920x1080 for
 * the page alone), on its own page and inside the embed panel, every control is inside the window (from bounding boxes), nothing
 * scrolls sideways, and axe-core finds no serious or critical problem, in each state (start form,
 * chatting, ended); in dark mode too; with a widget's own colours, title and greeting; and the
 * pages for a missing, malformed or unknown widget. Screenshots go to test-results/.
 */

const [sqlite] = backends();
const WAIT = { timeout: 15_000 };
const WIDGETS = '/switchyard/v1/WebChat/Widgets';
const SIZES = [
  { name: '1280', width: 1280, height: 800 },
  { name: '375', width: 375, height: 740 },
  { name: '320', width: 320, height: 568 },
];

/**
 * The visible controls whose box is not wholly inside the window: controls in the transcript (links
 * to files) scroll with it and only need to fit its width; every other control must be on screen
 * as it is, with no scrolling (Send, Attach, End chat, Start a new chat, the form's button).
 */
async function offscreen(where: Page | Frame, opts: { scrolls?: string } = {}): Promise<string[]> {
  return where.evaluate((scrolls) => {
    const w = document.documentElement.clientWidth;
    const h = document.documentElement.clientHeight;
    const out: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>('button, input:not([type=hidden]), a[href], select, textarea')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
      const inScroller = el.closest('#transcript') || (scrolls ? el.closest(scrolls) : null);
      const name = `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} "${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 30)}"`;
      if (r.left < -1 || r.right > w + 1) out.push(`${name} at x ${Math.round(r.left)}..${Math.round(r.right)} of ${w}`);
      else if (!inScroller && (r.top < -1 || r.bottom > h + 1)) out.push(`${name} at y ${Math.round(r.top)}..${Math.round(r.bottom)} of ${h}`);
    }
    return out;
  }, opts.scrolls ?? null);
}

/** Every check of a state: controls on screen (ours and the shared one), no sideways scrolling, axe. */
async function checkState(page: Page, state: string, opts: { scrolls?: string } = {}) {
  assert.deepEqual(await offscreen(page, opts), [], `controls off screen (${state})`);
  assert.deepEqual(await controlsOutsideViewport(page), [], `controls outside the viewport (${state})`);
  assert.equal(await overflowsHorizontally(page), false, `sideways overflow (${state})`);
  await assertAccessible(page, state);
  await screenshot(page, `webchat-layout-${state}`);
}

/** The embed panel's iframe, once the launcher has made it. */
async function chatFrame(page: Page): Promise<Frame> {
  const el = await page.locator('iframe').elementHandle(WAIT);
  return (await el?.contentFrame()) ?? assert.fail('the chat frame');
}

const LONG = 'My tracking link is https://parcels.example.com/track/ZX81234567890123456789012345678901234567890 and it says "delivered" but nothing came.\nSecond line.';

describe('browser: web chat layout, accessibility, looks and problem pages', () => {
  let t: TestServer;
  let f: FlexFixture;
  let browser: Browser;
  let widgetSid: string;
  let themed: string;
  before(async () => {
    t = await startServer(sqlite, { timers: 'auto' });
    // Nobody takes these chats: an agent joins them over REST, so layouts are checked in the "agent joined" state.
    f = await flexWorkspace(t, []);
    widgetSid = await createWidget(t, f.wsSid);
    const form = { fields: [{ label: 'Email', type: 'InputItem', attributes: { name: 'email', type: 'email', required: true } }] };
    const res = await t.http('POST', WIDGETS, {
      body: new URLSearchParams({ WorkspaceSid: f.wsSid, FriendlyName: 'Themed', Title: 'Acme Help', Greeting: 'Hi! We answer within a few minutes.', AccentColor: '#FFD400', HeaderColor: '#4a148c', PreEngagementConfig: JSON.stringify(form) }).toString(),
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    themed = res.body.sid;
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await t.close();
  });

  const conversationOf = (where: Page | Frame, widget: string) =>
    where.evaluate((key) => JSON.parse(sessionStorage.getItem(key) ?? '{}').conversation_sid as string, `switchyard.webchat.${widget}`);

  /** alice (an agent) joins the chat the page holds, and writes something long. */
  async function aliceJoins(where: Page | Frame, widget: string) {
    const sid = await conversationOf(where, widget);
    const cv = t.client.conversations.v1.conversations(sid);
    await cv.participants.create({ identity: 'alice', attributes: JSON.stringify({ member_type: 'agent' }) });
    await where.locator('#status[data-state="joined"]').waitFor(WAIT);
    await cv.messages.create({ author: 'alice', body: LONG });
    await where.locator('#transcript li.theirs', { hasText: 'Second line.' }).waitFor(WAIT);
    return sid;
  }

  async function endChat(where: Page | Frame) {
    await where.getByLabel('Message', { exact: true }).fill('a draft that stays');
    await where.getByRole('button', { name: 'End chat' }).click();
    await where.getByRole('button', { name: 'Yes, end it' }).click();
    await where.locator('#status[data-state="ended"]').waitFor(WAIT);
  }

  for (const size of [{ name: '1920', width: 1920, height: 1080 }, ...SIZES]) {
    test(`the chat page at ${size.width}x${size.height}: start form, chatting, ended`, async () => {
      const page = await (await browser.newContext({ viewport: { width: size.width, height: size.height } })).newPage();
      await page.goto(`${t.baseUrl}/webchat/?widget=${widgetSid}`);
      await page.getByLabel('Your name').waitFor(WAIT);
      await checkState(page, `${size.name}-1-start`, { scrolls: 'main' });

      await page.getByLabel('Your name').fill('Ada Lovelace');
      await page.getByRole('button', { name: 'Start chat' }).click();
      await page.locator('#status[data-state="waiting"]').waitFor(WAIT);
      await customerWrites(page, 'Hello, my order never came. '.repeat(4).trim());
      await aliceJoins(page, widgetSid);
      for (let i = 0; i < 6; i++) await customerWrites(page, `Line ${i + 1} of a long conversation`);
      await checkState(page, `${size.name}-2-chatting`);
      // The transcript scrolls, not the page: Send stays where it was.
      assert.equal(await page.evaluate(() => document.scrollingElement!.scrollHeight <= innerHeight + 1), true, 'the page itself does not scroll');

      await endChat(page);
      assert.equal(await page.getByLabel('Message', { exact: true }).inputValue(), 'a draft that stays');
      await checkState(page, `${size.name}-3-ended`);
      await page.context().close();
    });
  }

  for (const size of SIZES) {
    test(`the embed panel at ${size.width}x${size.height}: every control inside the panel, from the start form to a new chat`, async () => {
      const page = await (await browser.newContext({ viewport: { width: size.width, height: size.height } })).newPage();
      await page.goto(`${t.baseUrl}/health`);
      await page.setContent(
        `<!doctype html><html lang="en"><head><title>Shop</title><meta name="viewport" content="width=device-width, initial-scale=1"></head><body><main><h1>Shop</h1><p>Everything for your garden.</p></main><script src="${t.baseUrl}/webchat/embed.js" data-widget="${widgetSid}"></script></body></html>`,
      );
      const launcher = page.getByRole('button', { name: 'Chat with us' });
      await launcher.click();
      const panel = page.getByRole('dialog', { name: 'Chat with us' });
      const frame = await chatFrame(page);
      await frame.getByLabel('Your name').waitFor(WAIT);

      /** The panel inside the window, and the frame's controls inside the frame. */
      const inside = async (state: string, scrolls?: string) => {
        const box = (await panel.boundingBox()) ?? assert.fail('the panel has a box');
        assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= size.width + 0.5 && box.y + box.height <= size.height + 0.5, `panel ${JSON.stringify(box)} inside ${size.width}x${size.height} (${state})`);
        const close = (await page.getByRole('button', { name: 'Close chat' }).boundingBox()) ?? assert.fail('Close chat has a box');
        assert.ok(close.x >= box.x && close.x + close.width <= box.x + box.width && close.y >= box.y, `Close chat inside the panel (${state})`);
        const frameBox = (await page.locator('iframe').boundingBox()) ?? assert.fail('the frame has a box');
        assert.ok(frameBox.y + frameBox.height <= box.y + box.height + 0.5 && frameBox.x + frameBox.width <= box.x + box.width + 0.5, `the frame inside the panel (${state})`);
        assert.deepEqual(await offscreen(frame, { scrolls }), [], `controls outside the panel (${state})`);
        assert.equal(await overflowsHorizontally(page), false, `sideways overflow of the host page (${state})`);
        await assertAccessible(page, `embedded ${state}`);
        await screenshot(page, `webchat-layout-embed-${size.name}-${state}`);
      };
      await inside('1-start', 'main');

      await frame.getByLabel('Your name').fill('Ada Lovelace');
      await frame.getByRole('button', { name: 'Start chat' }).click();
      await frame.locator('#status[data-state="waiting"]').waitFor(WAIT);
      await customerWrites(frame as unknown as Page, 'Hello from the shop page');
      await aliceJoins(frame, widgetSid);
      await inside('2-chatting');
      for (const name of ['Send', 'Attach a file', 'End chat']) assert.equal(await frame.getByRole('button', { name, exact: true }).isVisible(), true, name);

      await endChat(frame);
      await inside('3-ended');
      await frame.getByRole('button', { name: 'Start a new chat' }).click();
      await frame.getByLabel('Your name').waitFor(WAIT);
      await inside('4-new-chat', 'main');
      await page.context().close();
    });
  }

  test('embedded: messages that arrive while the panel is closed are counted on the button, and read only once it opens', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await page.goto(`${t.baseUrl}/health`);
    await page.setContent(`<!doctype html><html lang="en"><head><title>Shop</title></head><body><main><h1>Shop</h1></main><script src="${t.baseUrl}/webchat/embed.js" data-widget="${widgetSid}" data-label="Questions?"></script></body></html>`);
    await page.getByRole('button', { name: 'Questions?' }).click();
    const frame = await chatFrame(page);
    await frame.getByLabel('Your name').fill('Ada Lovelace');
    await frame.getByRole('button', { name: 'Start chat' }).click();
    await frame.locator('#status[data-state="waiting"]').waitFor(WAIT);
    const sid = await aliceJoins(frame, widgetSid);
    await page.getByRole('button', { name: 'Close chat' }).click();
    assert.equal(await page.getByRole('dialog').isHidden(), true);

    const cv = t.client.conversations.v1.conversations(sid);
    const sent = await cv.messages.create({ author: 'alice', body: 'Are you still there?' });
    const launcher = page.getByRole('button', { name: 'Questions?, 1 new message' });
    await launcher.waitFor(WAIT);
    const guestRead = async () => (await cv.participants.list()).find((p) => p.identity?.startsWith('guest-'))?.lastReadMessageIndex ?? null;
    assert.ok(((await guestRead()) ?? -1) < sent.index, 'not read while the panel is closed');
    await screenshot(page, 'webchat-layout-embed-unread');
    await assertAccessible(page, 'launcher with an unread count');

    await launcher.click();
    const deadline = Date.now() + 10_000;
    while ((await guestRead()) !== sent.index) {
      assert.ok(Date.now() < deadline, 'read once the panel opened');
      await new Promise((r) => setTimeout(r, 50));
    }
    await page.getByRole('button', { name: 'Questions?', exact: true }).waitFor(WAIT);
    // Escape inside the chat closes the panel, and the focus goes back to the button.
    await frame.getByLabel('Message', { exact: true }).press('Escape');
    await page.getByRole('dialog').waitFor({ ...WAIT, state: 'hidden' });
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-expanded')), 'false');
    await page.context().close();
  });

  test("a widget's title, greeting and colours, readable in light and dark mode", async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const page = await (await browser.newContext({ viewport: { width: 375, height: 740 }, colorScheme })).newPage();
      await page.goto(`${t.baseUrl}/webchat/?widget=${themed}`);
      await page.getByRole('heading', { name: 'Acme Help', level: 1 }).waitFor(WAIT);
      assert.equal(await page.title(), 'Acme Help');
      assert.equal(await page.locator('#greeting').innerText(), 'Hi! We answer within a few minutes.');
      const look = (sel: string) => page.locator(sel).evaluate((el) => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color]);
      assert.deepEqual(await look('#start-button'), ['rgb(255, 212, 0)', 'rgb(0, 0, 0)'], 'black reads on yellow');
      assert.deepEqual(await look('.chat-header'), ['rgb(74, 20, 140)', 'rgb(255, 255, 255)'], 'white reads on purple');
      const root = await look('html');
      assert.equal(root[0], colorScheme === 'dark' ? 'rgb(21, 23, 25)' : 'rgb(255, 255, 255)', 'the page follows the system');
      await checkState(page, `themed-${colorScheme}-1-start`, { scrolls: 'main' });

      await page.getByLabel('Your name').fill('Ada Lovelace');
      await page.getByLabel('Email').fill('ada@example.com');
      await page.getByRole('button', { name: 'Start chat' }).click();
      await page.locator('#status[data-state="waiting"]').waitFor(WAIT);
      // The greeting opens the transcript (shown only here: it is no message of the conversation).
      assert.equal(await page.locator('#transcript li.greeting .body').innerText(), 'Hi! We answer within a few minutes.');
      const sid = await conversationOf(page, themed);
      assert.deepEqual((await t.client.conversations.v1.conversations(sid).messages.list()).length, 0);
      await customerWrites(page, 'Hello');
      await aliceJoins(page, themed);
      assert.deepEqual(await look('#send'), ['rgb(255, 212, 0)', 'rgb(0, 0, 0)']);
      await checkState(page, `themed-${colorScheme}-2-chatting`);
      await page.context().close();
    }
  });

  test('a missing, malformed or unknown widget gets a page that says what is wrong, and no form', async () => {
    const page = await (await browser.newContext({ viewport: { width: 375, height: 740 } })).newPage();
    const cases = [
      { name: 'missing', query: '', title: 'This chat is not set up', detail: /ends in \?widget= and the widget SID/ },
      { name: 'malformed', query: '?widget=YW123', title: 'This chat link is broken', detail: /“YW123” is not a widget SID/ },
      { name: 'markup', query: `?widget=${encodeURIComponent('<b>x</b>')}`, title: 'This chat link is broken', detail: /“<b>x<\/b>” is not a widget SID/ },
      { name: 'unknown', query: `?widget=YW${'0'.repeat(32)}`, title: 'This chat is not available', detail: new RegExp(`widget YW${'0'.repeat(32)} was not found`) },
    ];
    for (const c of cases) {
      await page.goto(`${t.baseUrl}/webchat/${c.query}`);
      await page.locator('#problem-title', { hasText: c.title }).waitFor(WAIT);
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Chat unavailable');
      assert.match(await page.locator('#problem-detail').innerText(), c.detail);
      assert.equal(await page.locator('#problem-text').isVisible(), true);
      assert.equal(await page.getByLabel('Your name').isVisible(), false, `no form (${c.name})`);
      assert.equal(await page.locator('#start').isHidden(), true);
      assert.equal(await page.locator('#problem b').count(), 0, 'what was given is shown as text');
      await checkState(page, `problem-${c.name}`, { scrolls: 'main' });
    }
    // The malformed case no longer says the page needs ?widget=YW… (one was given).
    await page.goto(`${t.baseUrl}/webchat/?widget=nope`);
    await page.locator('#problem-title', { hasText: 'broken' }).waitFor(WAIT);
    assert.doesNotMatch(await page.locator('#problem').innerText(), /needs \?widget=/);

    // embed.js with a malformed SID tells the site's owner in the console; its panel shows the same page.
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${t.baseUrl}/health`);
    await page.setContent(`<!doctype html><html lang="en"><head><title>Shop</title></head><body><main><h1>Shop</h1></main><script src="${t.baseUrl}/webchat/embed.js" data-widget="YW-oops"></script></body></html>`);
    await page.getByRole('button', { name: 'Chat with us' }).click();
    const frame = await chatFrame(page);
    await frame.locator('#problem-title', { hasText: 'This chat link is broken' }).waitFor(WAIT);
    assert.ok(errors.some((e) => /data-widget="YW-oops" is not a widget SID/.test(e)), errors.join('\n'));
    await page.context().close();
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { metaChannel } from '../../src/channels/meta/channel.ts';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { emailGateway, mailClient, startMailSink, type MailSink } from '../api/channel-email-helpers.ts';
import { PAGE_ID, messengerHook, metaOptions, postWebhook, startGraph, type Graph } from '../api/channel-meta-helpers.ts';
import { flexWorkspace, routedTask, type FlexFixture } from '../api/flex-helpers.ts';
import { assertAccessible, controlsOutsideViewport, launchBrowser, overflowsHorizontally, panesOverflowing, screenshot, setAgentPassword, until } from './support.ts';

/**
 * Other channels on the agent desktop, through the real gateways: an email sent over SMTP to the
 * email gateway is offered with its subject, shown with its subject, the new text, the quoted
 * history folded away and its attachment, and answered from the desk (the answer leaves through the
 * relay as a threaded reply); a Messenger message posted as Meta's signed webhook shows its sender's
 * name. Both at 1280x800 and 375x740, with axe-core and the viewport checks in each state.
 */

const [sqlite] = backends();
const WAIT = { timeout: 15_000 };
const PASSWORD = 'desk password 1';
const STUDIO_FLOW = 'FW' + 'd'.repeat(32);
const ADDRESS = 'support@acme.test';
/** One Messenger user per screen size: each test's conversation is that user's only one. */
const PSIDS = { 1280: '7001000000000042', 375: '7001000000000043' } as const;


describe('browser: email and Messenger on the agent desktop', () => {
  let t: TestServer;
  let f: FlexFixture;
  let browser: Browser;
  let sink: MailSink;
  let graph: Graph;
  let mail: ReturnType<typeof mailClient>;
  before(async () => {
    sink = await startMailSink();
    graph = await startGraph();
    for (const psid of Object.values(PSIDS)) graph.names[psid] = 'Grace Hopper';
    const gateway = emailGateway(sink);
    t = await startServer(sqlite, { timers: 'auto', channels: [gateway.factory, metaChannel(metaOptions(graph.url))] });
    t.clock.set(Date.now());
    mail = mailClient(gateway.port);
    f = await flexWorkspace(t, ['alice'], { available: false });
    await f.w.taskChannels.create({ friendlyName: 'Email', uniqueName: 'email' });
    await setAgentPassword(t, f.wsSid, f.agents.alice, PASSWORD);
    const cv = t.client.conversations.v1;
    await cv.addressConfigurations.create({ type: 'email', address: ADDRESS, friendlyName: 'Acme Support', 'autoCreation.enabled': true, 'autoCreation.type': 'studio', 'autoCreation.studioFlowSid': STUDIO_FLOW });
    await cv.addressConfigurations.create({ type: 'messenger', address: `messenger:${PAGE_ID}`, 'autoCreation.enabled': true });
    browser = await launchBrowser();
  });
  after(async () => {
    mail?.close();
    await browser?.close();
    await t.close();
    await sink?.close();
    await graph?.close();
  });

  async function desk(width: number, height: number): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height } });
    const page = await context.newPage();
    await page.goto(`${t.baseUrl}/agent/?account=${t.account.accountSid}`);
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#connection', { hasText: 'Connected' }).waitFor(WAIT);
    await page.getByLabel('Activity').selectOption({ label: 'Available' });
    await page.locator('#connection', { hasText: 'You are now Available' }).waitFor(WAIT);
    return page;
  }

  async function checks(page: Page, state: string) {
    assert.deepEqual(await controlsOutsideViewport(page), [], `controls outside the viewport (${state})`);
    assert.deepEqual(await panesOverflowing(page), [], `content wider than its pane (${state})`);
    assert.equal(await overflowsHorizontally(page), false, `sideways overflow (${state})`);
    await assertAccessible(page, state);
  }

  /** Ends the chat from the desk and completes its wrap-up, leaving alice free for the next one. */
  async function finish(page: Page, taskSid: string) {
    const card = page.locator(`article.task[data-task="${taskSid}"]`);
    await card.getByRole('button', { name: 'End chat' }).click();
    await card.getByRole('button', { name: 'Complete' }).click();
    await card.waitFor({ ...WAIT, state: 'detached' });
    // The chat's conversation closes behind the desk (Flex follows the task): the next mail from the
    // same sender must start a new one, not land in this one while it is still open.
    const conversationSid = JSON.parse((await f.w.tasks(taskSid).fetch()).attributes).conversationSid as string;
    await until('the conversation closed', async () => (await t.client.conversations.v1.conversations(conversationSid).fetch()).state, (s) => s === 'closed');
  }

  for (const [width, height] of [
    [1280, 800],
    [375, 740],
  ] as const) {
    test(`${width}x${height}: an email with its subject, the quoted text folded, its attachment; answered as a threaded reply`, async () => {
      const page = await desk(width, height);
      const subject = `Where is my order? (${width})`;
      await mail.send({
        from: '"Ann Customer" <ann@customer.test>',
        to: ADDRESS,
        subject,
        text: `Hello,\nit has not arrived yet.\nAnn\n\nOn Mon, 1 Jun 2026, Acme Support <${ADDRESS}> wrote:\n> Your order ships today.\n> Acme`,
        messageId: `<ann-${width}@customer.test>`,
        attachments: [{ filename: 'receipt.txt', content: 'Order 42, paid', contentType: 'text/plain' }],
      });
      const offer = page.locator('li.offer', { hasText: 'Ann Customer' });
      await offer.locator('.preview', { hasText: subject }).waitFor(WAIT);
      assert.equal((await offer.locator('.channel').innerText()).toLowerCase(), 'email');
      await checks(page, `email offer, ${width}`);
      await screenshot(page, `agent-channels-${width}-1-email-offer`);
      // Read before accepting: the offer leaves the list once accepted.
      const taskSid = (await offer.getAttribute('data-task'))!;
      await offer.getByRole('button', { name: 'Accept' }).click();

      const card = page.locator(`article.task[data-task="${taskSid}"]`);
      const hers = card.locator('li.theirs', { hasText: 'it has not arrived yet.' });
      await hers.waitFor(WAIT);
      assert.equal(await hers.locator('.author').innerText(), 'Ann Customer');
      assert.equal(await hers.locator('.subject').innerText(), subject);
      assert.equal(await hers.locator('.body').first().innerText(), 'Hello,\nit has not arrived yet.\nAnn');
      // The quote is there, folded: opened, it shows the earlier message.
      const quoted = hers.locator('details.quoted');
      assert.equal(await quoted.evaluate((d: HTMLDetailsElement) => d.open), false);
      assert.equal(await quoted.locator('.body').isVisible(), false);
      await quoted.locator('summary').click();
      await quoted.locator('.body', { hasText: '> Your order ships today.' }).waitFor(WAIT);
      assert.doesNotMatch(await quoted.locator('.body').innerText(), /it has not arrived yet/, 'only what the message does not already show');
      await hers.locator('.attachment a', { hasText: 'receipt.txt' }).waitFor(WAIT);
      assert.equal(await hers.locator('.attachment').count(), 1, 'the email bodies are no attachments');
      const panel = page.locator('aside.customer-panel');
      await panel.locator('.address', { hasText: 'ann@customer.test' }).waitFor(WAIT);
      assert.match(await panel.innerText(), /Email\s+ann@customer\.test/);
      await checks(page, `email, ${width}`);
      await screenshot(page, `agent-channels-${width}-2-email`);

      // The answer from the desk leaves through the relay, threaded under her mail.
      await card.getByLabel('Reply to Ann Customer').fill('Hi Ann,\nit is with the courier now.');
      await card.getByLabel('Reply to Ann Customer').press('Enter');
      const out = await sink.next();
      assert.equal(out.mail.subject, `Re: ${subject}`);
      assert.equal(out.mail.inReplyTo, `<ann-${width}@customer.test>`);
      assert.ok((out.mail.text ?? '').startsWith('Hi Ann,\nit is with the courier now.'));
      await finish(page, taskSid);
      await page.context().close();
    });

    test(`${width}x${height}: a Messenger message under its sender's name`, async () => {
      const page = await desk(width, height);
      const PSID = PSIDS[width];
      const mid = `m_${width}`;
      assert.equal((await postWebhook(t, messengerHook([{ sender: { id: PSID }, recipient: { id: PAGE_ID }, timestamp: Date.now(), message: { mid, text: `Is the shop open on Sunday? (${width})` } }]))).status, 200);
      const [pc] = await t.client.conversations.v1.participantConversations.list({ address: `messenger:${PSID}` });
      // The application binds the conversation to an interaction, as with any Messenger conversation.
      const created = await t.client.flexApi.v1.interaction.create({
        channel: { type: 'messenger', initiated_by: 'customer', properties: { media_channel_sid: pc.conversationSid } },
        routing: f.routing({ task_channel_unique_name: 'chat' }),
      });
      const taskSid = routedTask(created.routing).sid as string;
      const offer = page.locator(`li.offer[data-task="${taskSid}"]`);
      await offer.locator('.preview', { hasText: 'Is the shop open on Sunday?' }).waitFor(WAIT);
      assert.equal(await offer.locator('.customer').innerText(), 'Grace Hopper');
      await offer.getByRole('button', { name: 'Accept' }).click();
      const card = page.locator(`article.task[data-task="${taskSid}"]`);
      const hers = card.locator('li.theirs', { hasText: `Is the shop open on Sunday? (${width})` });
      await hers.waitFor(WAIT);
      assert.equal(await hers.locator('.author').innerText(), 'Grace Hopper');
      await page.locator('aside.customer-panel .address', { hasText: `messenger:${PSID}` }).waitFor(WAIT);
      assert.match(await page.locator('aside.customer-panel').innerText(), /Messenger ID\s+messenger:/);
      await checks(page, `messenger, ${width}`);
      await screenshot(page, `agent-channels-${width}-3-messenger`);
      await finish(page, taskSid);
      await page.context().close();
    });
  }
});

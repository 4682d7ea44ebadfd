import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { assertAccessible, controlsOutsideViewport, launchBrowser, overflowsHorizontally, screenshot } from './support.ts';

/**
 * The root page (public/index.html) in Chromium: from a 320 px phone to a 1920 px screen, light and
 * dark, nothing scrolls sideways, every link is inside the viewport, axe-core finds nothing serious;
 * it links the three pages, health and metrics, and says where the documentation is.
 */

const [sqlite] = backends();
const WIDTHS = [320, 375, 768, 1280, 1920];

describe('browser: the root page', () => {
  let t: TestServer;
  let browser: Browser;
  before(async () => {
    t = await startServer(sqlite);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    test(`${colorScheme}: 320 to 1920 px wide, no overflow, links inside the viewport, accessible`, async () => {
      const context = await browser.newContext({ viewport: { width: WIDTHS[0], height: 740 }, colorScheme });
      const page = await context.newPage();
      await page.goto(`${t.baseUrl}/`);
      const background = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
      assert.equal(background, colorScheme === 'dark' ? 'rgb(21, 23, 25)' : 'rgb(255, 255, 255)', 'the system colour scheme is followed');
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: width < 768 ? 740 : 900 });
        const state = `root page ${width} ${colorScheme}`;
        assert.equal(await overflowsHorizontally(page), false, `sideways overflow (${state})`);
        assert.deepEqual(await controlsOutsideViewport(page), [], `controls outside the viewport (${state})`);
        await assertAccessible(page, state);
        if (width === 375 || width === 1280) await screenshot(page, `supervisor-root-page-${width}-${colorScheme}`);
      }
      await context.close();
    });
  }

  test('it links the pages, health and metrics, names the docs, and its commands name this server', async () => {
    const page = await browser.newPage();
    await page.goto(`${t.baseUrl}/`);
    for (const [name, href] of [
      ['Open the agent desktop', '/agent/'],
      ['Open the web chat', '/webchat/'],
      ['Open the supervisor board', '/supervisor/'],
      ['/health/live', '/health/live'],
      ['/health/ready', '/health/ready'],
      ['/metrics', '/metrics'],
    ])
      assert.equal(await page.getByRole('link', { name, exact: true }).getAttribute('href'), href, name);
    const headings = await page.getByRole('heading', { level: 2 }).allInnerTexts();
    assert.deepEqual(headings, ['Pages', 'APIs', 'Health and metrics', 'Documentation']);
    assert.match(await page.locator('#docs-heading + p + ul').innerText(), /README\.md[\s\S]*docs\/architecture\.md[\s\S]*docs\/decisions\.md/);
    assert.match(await page.locator('pre').innerText(), new RegExp(`${t.baseUrl.replace(/[.:/]/g, '\\$&')}/taskrouter/v1/Workspaces`));
    // Each page it links opens.
    await page.getByRole('link', { name: 'Open the supervisor board' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 15_000 });
    await page.close();
  });
});

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { TestServer } from '../support/server.ts';

/**
 * Debian's chromium driven by playwright-core. The flags keep it off the network it cannot reach
 * here (background services, QUIC) and let it run as root in CI.
 */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export const RESULTS = join(process.cwd(), 'test-results');

/** Saves a screenshot of the page as test-results/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(RESULTS, { recursive: true });
  const path = join(RESULTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The supervisor board's sign-in, as a supervisor does it. */
export async function signInSupervisor(page: Page, baseUrl: string, accountSid: string, authToken: string): Promise<void> {
  await page.goto(`${baseUrl}/supervisor/`);
  await page.getByLabel('Account SID').fill(accountSid);
  await page.getByLabel('Auth token').fill(authToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** The customer writes on the web chat and sees their message in the transcript. */
export async function customerWrites(page: Page, text: string, wait = { timeout: 15_000 }): Promise<void> {
  await page.getByLabel('Message', { exact: true }).fill(text);
  await page.getByLabel('Message', { exact: true }).press('Enter');
  await page.locator('#transcript li.mine', { hasText: text }).waitFor(wait);
}

/** An administrator's setup through Switchyard's API: a web chat widget for a workspace; returns its SID. */
export async function createWidget(t: TestServer, workspaceSid: string, friendlyName = 'Acme support'): Promise<string> {
  const res = await t.http('POST', '/switchyard/v1/WebChat/Widgets', { body: new URLSearchParams({ WorkspaceSid: workspaceSid, FriendlyName: friendlyName }).toString() });
  assert.equal(res.status, 201);
  return res.body.sid;
}

/** An administrator's setup through Switchyard's API: an agent's sign-in password. */
export async function setAgentPassword(t: TestServer, workspaceSid: string, workerSid: string, password: string): Promise<void> {
  const res = await t.http('POST', `/switchyard/v1/Workspaces/${workspaceSid}/Workers/${workerSid}/Credentials`, { body: new URLSearchParams({ Password: password }).toString() });
  assert.equal(res.status, 201);
}

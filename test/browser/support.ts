import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';
import { createRequire } from 'node:module';
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

/** The supervisor board's sign-in, as a supervisor does it: their own username and password (the link names the account). */
export async function signInSupervisor(page: Page, baseUrl: string, accountSid: string, username: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/supervisor/?account=${accountSid}`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
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

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core on the page as it is now (run it in each state a test reaches): the serious and critical
 * violations, each as "rule: target" lines, so a failing assertion names what to fix.
 */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => JSON.stringify(n.target)) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').flatMap((v) => v.targets.map((t) => `${v.id} (${v.impact}): ${t}`));
}

/** Asserts axe-core finds no serious or critical violation on the page in its current state. */
export async function assertAccessible(page: Page, state: string): Promise<void> {
  assert.deepEqual(await accessibilityProblems(page), [], `accessibility violations (${state})`);
}

/**
 * The visible controls (buttons, inputs, links, selects, textareas) that do not fit inside the
 * viewport's width, or whose box lies below the page's scrollable end: a control a user cannot reach.
 */
export async function controlsOutsideViewport(page: Page, scope = 'body'): Promise<string[]> {
  return page.evaluate((sel) => {
    const root = document.querySelector(sel) ?? document.body;
    const width = document.documentElement.clientWidth;
    const out: string[] = [];
    for (const el of root.querySelectorAll<HTMLElement>('button, input:not([type=hidden]), a[href], select, textarea')) {
      const r = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      if (r.width === 0 || r.height === 0 || style.visibility === 'hidden') continue;
      if (r.left < -1 || r.right > width + 1) out.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} "${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 30)}" at x ${Math.round(r.left)}..${Math.round(r.right)} of ${width}`);
    }
    return out;
  }, scope);
}

/** Whether the page scrolls sideways (layout overflow). */
export async function overflowsHorizontally(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth + 1);
}

/** A real PNG of w×h pixels (so the page's <img> decodes it), made here: no file shipped. */
export function png(w: number, h: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.concat(Array.from({ length: h }, () => Buffer.concat([Buffer.from([0]), Buffer.alloc(w * 3, 0x5a)])));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

/** Polls `read` until `ok` holds, or fails after the deadline saying what it waited for. */
export async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) assert.fail(`${what}: still ${JSON.stringify(v)} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The desk's boxes (task list items, messages, earlier conversations) that stick out of their
 * pane's content area: each pane scrolls on its own, so the page-wide checks would not see them.
 */
export function panesOverflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const e of document.querySelectorAll<HTMLElement>('.item, .msg, .history > li, .task-head, .wrapup')) {
      const pane = e.closest<HTMLElement>('.pane');
      if (!pane || e.offsetParent === null) continue;
      const p = pane.getBoundingClientRect();
      const style = getComputedStyle(pane);
      const r = e.getBoundingClientRect();
      const left = p.left + parseFloat(style.paddingLeft) + parseFloat(style.borderLeftWidth);
      const right = p.right - parseFloat(style.paddingRight) - parseFloat(style.borderRightWidth);
      if (r.left < left - 1 || r.right > right + 1) out.push(`${e.className} at x ${Math.round(r.left)}..${Math.round(r.right)} in a pane of ${Math.round(left)}..${Math.round(right)}`);
    }
    return out;
  });
}

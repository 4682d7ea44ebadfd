import type { Page } from 'playwright-core';

/**
 * The supervisor board's sign-in as a supervisor does it: their own username and password, the
 * account named by the link (?account=AC...), as the agent desktop's link names it.
 */
export async function signInAsSupervisor(page: Page, url: string, accountSid: string, username: string, password: string): Promise<void> {
  await page.goto(`${url}/supervisor/?account=${accountSid}`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

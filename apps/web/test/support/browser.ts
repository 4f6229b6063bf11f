import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';

/** Debian's Chromium, headless, with nothing reaching out to the (closed) network. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// playwright-core has no assertions of its own: these wait the way @playwright/test's do.
export const WAIT = { timeout: 15_000, interval: 100 };
export const visible = (locator: Locator) =>
  locator.first().waitFor({ state: 'visible', timeout: WAIT.timeout });
export const textOf = (locator: Locator) =>
  expect.poll(
    async () => ((await locator.count()) ? ((await locator.first().textContent()) ?? '') : ''),
    WAIT,
  );
export const countOf = (locator: Locator) => expect.poll(() => locator.count(), WAIT);

export interface Browser {
  page: Page;
  context: BrowserContext;
  close(): Promise<void>;
}

/** A browser of its own (a fresh profile, removed on close). */
export async function launchBrowser(viewport = { width: 1440, height: 900 }): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'taskflow-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    viewport,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(WAIT.timeout);
  return {
    page,
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Creates an account through the sign-up form and waits for the board. */
export async function signUp(page: Page, webUrl: string, name: string, email: string) {
  await page.goto(webUrl);
  await page.getByRole('button', { name: 'New here? Create an account' }).click();
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await textOf(page.getByTestId('current-user')).toContain(name);
}

/** Signs in through the sign-in form (the password every test account uses) and waits for the board. */
export async function signIn(page: Page, webUrl: string, email: string) {
  await page.goto(webUrl);
  await page.getByRole('heading', { name: 'Sign in to TaskFlow' }).waitFor();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByTestId('current-user').waitFor();
}

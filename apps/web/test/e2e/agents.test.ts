import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Stack } from '@taskflow/auth/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, countOf, launchBrowser, signIn as signInAt, WAIT } from '../support/browser';
import { WEB_DIR } from '../support/ensure-built';
import { startWebStack } from '../support/in-process';

const ARTIFACTS = join(WEB_DIR, 'test-artifacts');

describe("the admin's agents view, in a real browser against the real auth service", () => {
  let stack: Stack;
  let stop: (() => Promise<void>) | undefined;
  let webUrl: string;
  let browser: Browser;
  let page: Page;
  let agentId: string;
  let apiKey: string;

  const exchange = (key: string) =>
    fetch(`${stack.authUrl}/api/agents/token`, { method: 'POST', headers: { 'x-api-key': key } });

  beforeAll(async () => {
    ({ stack, webUrl, stop } = await startWebStack());
    mkdirSync(ARTIFACTS, { recursive: true });

    // The first account (an admin) registers an agent from a script, with a bearer token.
    const admin = await stack.signUp('ada@example.com', 'Ada Admin', 'correct horse battery');
    const created = await fetch(`${stack.authUrl}/api/agents`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await stack.tokenFor(admin.cookie)}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ name: 'Night Bot', expires_in_days: 30 }),
    });
    const body = (await created.json()) as { agent: { id: string }; api_key: string };
    agentId = body.agent.id;
    apiKey = body.api_key;
    await stack.signUp('pat@example.com', 'Pat Person', 'correct horse battery');

    browser = await launchBrowser({ width: 1280, height: 900 });
    page = browser.page;
  });

  afterAll(async () => {
    await browser?.close();
    await stop?.();
  });

  const signIn = (email: string) => signInAt(page, webUrl, email);

  it("shows the identity service's own message for a wrong password", async () => {
    await page.goto(webUrl);
    await page.getByRole('heading', { name: 'Sign in to TaskFlow' }).waitFor();
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    // Better Auth's `message`, kept beside the shared error shape's `error`.
    await expect
      .poll(() => page.locator('.field-error[role="alert"]').textContent(), WAIT)
      .toBe('Invalid email or password');
  });

  it('lists agents and their keys, and revokes a key so it no longer exchanges', async () => {
    await signIn('ada@example.com');
    await page.getByRole('button', { name: 'Agents' }).click();
    const dialog = page.getByRole('dialog', { name: 'Agents' });
    const agent = dialog.locator(`li[data-agent="${agentId}"]`);
    await agent.getByText('Night Bot').waitFor();
    await countOf(agent.locator('li[data-key]')).toBe(1);
    await expect.poll(() => agent.locator('li[data-key]').textContent(), WAIT).toContain('expires');
    await page.screenshot({ path: join(ARTIFACTS, 'agents.png') });

    expect((await exchange(apiKey)).status).toBe(200);
    await agent.getByRole('button', { name: /^Revoke key tf_.* of Night Bot$/ }).click();
    await countOf(agent.locator('li[data-key]')).toBe(0);
    await page.getByTestId('toast-info').getByText('Key revoked').waitFor();
    expect((await exchange(apiKey)).status).toBe(401);
  });

  it('offers no agents view to someone who is not an admin', async () => {
    await page.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn('pat@example.com');
    await countOf(page.getByRole('button', { name: 'Agents' })).toBe(0);
  });
});

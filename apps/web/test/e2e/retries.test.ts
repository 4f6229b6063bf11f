import type { Stack } from '@taskflow/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, launchBrowser, signIn, textOf, visible } from '../support/browser';
import { startWebStack } from '../support/in-process';

const top = (browser: Browser) => browser.page.getByRole('dialog').last();

describe('the web app retries a mutation whose answer was lost, under the same Idempotency-Key', () => {
  let stack: Stack;
  let webUrl: string;
  let stop: (() => Promise<void>) | undefined;
  let browser: Browser;

  beforeAll(async () => {
    ({ stack, webUrl, stop } = await startWebStack());
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await stop?.();
  });

  it('creates one task when the first answer to "Create task" is lost on the way back', async () => {
    const { page } = browser;
    const rita = await stack.signUp('rita@example.com', 'Rita Retry');
    await signIn(page, webUrl, 'rita@example.com');
    const sent: { key: string | null; batched: boolean }[] = [];
    // The request reaches the API and commits; its answer never reaches the page.
    await page.route('**/trpc/tasks.create*', async (route) => {
      const request = route.request();
      sent.push({
        key: request.headers()['idempotency-key'] ?? null,
        batched: request.url().includes('batch='),
      });
      if (sent.length === 1) {
        await route.fetch();
        await route.abort('connectionreset');
      } else {
        await route.continue();
      }
    });
    await page.getByRole('button', { name: 'New task' }).click();
    await top(browser).getByLabel('Title').fill('Only once, please');
    await top(browser).getByRole('button', { name: 'Create task' }).click();
    await visible(page.getByTestId('task-detail'));
    await textOf(page.getByTestId('detail-status')).toBe('Pending');

    expect(sent).toHaveLength(2);
    expect(sent[0]?.key).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent[1]?.key).toBe(sent[0]?.key);
    expect(sent.every((s) => !s.batched)).toBe(true);

    const token = await stack.tokenFor(rita.cookie);
    const res = await fetch(`${stack.apiUrl}/api/tasks?q=${encodeURIComponent('Only once')}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const tasks = (await res.json()) as { title: string }[];
    expect(tasks.map((t) => t.title)).toEqual(['Only once, please']);
  });
});

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Stack } from '@taskflow/auth/testing';
import { WEBHOOK_DEFAULTS } from '@taskflow/router';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, countOf, launchBrowser, signIn, textOf, WAIT } from '../support/browser';
import { WEB_DIR } from '../support/ensure-built';
import { startUpstream, startWebStack } from '../support/in-process';

const ARTIFACTS = join(WEB_DIR, 'test-artifacts');

interface Hit {
  path: string;
  id: string;
  signature: string;
  type: string;
}

describe("a project's webhooks in the members dialog, in a real browser", () => {
  let stack: Stack;
  let webUrl: string;
  let stop: (() => Promise<void>) | undefined;
  let browser: Browser;
  let page: Page;
  let token: string;
  const hits: Hit[] = [];
  let receiver: Awaited<ReturnType<typeof startUpstream>>;

  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${stack.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  const dialog = () => page.getByRole('dialog').last();
  const hook = (path: string) => dialog().locator('li[data-webhook]', { hasText: path });

  beforeAll(async () => {
    // The endpoint: /down always fails, anything else succeeds.
    receiver = await startUpstream((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        hits.push({
          path: req.url ?? '',
          id: String(req.headers['webhook-id']),
          signature: String(req.headers['webhook-signature']),
          type: (JSON.parse(body) as { type: string }).type,
        });
        res.writeHead(req.url === '/down' ? 503 : 200).end();
      });
    });
    ({ stack, webUrl, stop } = await startWebStack(
      {},
      {
        webhooks: {
          ...WEBHOOK_DEFAULTS,
          allowPrivateNetworks: true,
          retryBaseMs: 200,
          disableAfterFailures: 2,
          disableAfterMs: 0,
        },
        webhookPollIntervalMs: 100,
      },
    ));
    mkdirSync(ARTIFACTS, { recursive: true });
    const owner = await stack.signUp('wendy@example.com', 'Wendy Hooks', 'correct horse battery');
    token = await stack.tokenFor(owner.cookie);
    expect((await api('POST', '/api/projects', { slug: 'hooked', name: 'Hooked' })).status).toBe(
      201,
    );

    browser = await launchBrowser({ width: 1280, height: 900 });
    const { context } = browser;
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: webUrl });
    page = browser.page;
    await signIn(page, webUrl, 'wendy@example.com');
    await page.goto(`${webUrl}/?project=hooked`);
  });

  afterAll(async () => {
    await browser?.close();
    await stop?.();
    await receiver?.close();
  });

  it('adds a webhook, shows its secret once with a copy button, and lists its deliveries', async () => {
    await page.getByRole('button', { name: 'Members' }).click();
    await dialog().getByText('No webhooks yet.').waitFor();
    // A bad URL is refused with the API's message.
    await dialog().getByLabel('Webhook URL').fill('ftp://example.com/x');
    await dialog().getByRole('button', { name: 'Add webhook' }).click();
    await textOf(dialog().locator('.webhooks form .field-error')).toContain('http or https');

    await dialog().getByLabel('Webhook URL').fill(`${receiver.url}/ok`);
    await dialog().getByRole('button', { name: 'Add webhook' }).click();
    const secret = dialog().getByTestId('webhook-secret');
    await textOf(secret).toMatch(/^whsec_/);
    const shown = (await secret.textContent()) ?? '';
    await dialog().getByRole('button', { name: 'Copy secret' }).click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText()), WAIT).toBe(shown);
    await textOf(hook('/ok').getByTestId('webhook-state')).toBe('Enabled');
    await page.screenshot({ path: join(ARTIFACTS, 'webhooks.png') });
    await dialog().getByRole('button', { name: 'Done' }).click();
    await countOf(dialog().getByTestId('webhook-secret')).toBe(0);

    // A change is delivered; the log shows it.
    expect(
      (await api('POST', '/api/tasks', { title: 'Hooked task', project_slug: 'hooked' })).status,
    ).toBe(201);
    await expect.poll(() => hits.filter((h) => h.path === '/ok').length, WAIT).toBeGreaterThan(0);
    await hook('/ok').getByRole('button', { name: 'Deliveries' }).click();
    await textOf(hook('/ok').locator('li[data-delivery]')).toMatch(/attempt 1:\s*200/);

    // Rotating shows a new secret, and both sign for now.
    await hook('/ok').getByRole('button', { name: 'Rotate secret' }).click();
    await textOf(dialog().getByTestId('webhook-secret')).toMatch(/^whsec_/);
    expect(await dialog().getByTestId('webhook-secret').textContent()).not.toBe(shown);
    await dialog().getByRole('button', { name: 'Done' }).click();
    await hook('/ok').getByRole('button', { name: 'Send test' }).click();
    await expect
      .poll(() => hits.find((h) => h.type === 'webhook.ping')?.signature.split(' ').length, WAIT)
      .toBe(2);
  });

  it('shows an endpoint disabled after failing, with the reason, and deletes it', async () => {
    await dialog().getByLabel('Webhook URL').fill(`${receiver.url}/down`);
    await dialog().getByLabel('Events').fill('task.created');
    await dialog().getByRole('button', { name: 'Add webhook' }).click();
    await dialog().getByRole('button', { name: 'Done' }).click();
    expect(
      (await api('POST', '/api/tasks', { title: 'Into the void', project_slug: 'hooked' })).status,
    ).toBe(201);
    await expect.poll(() => hits.filter((h) => h.path === '/down').length, WAIT).toBe(2);
    // Reopened, the dialog reads the state afresh.
    await expect
      .poll(async () => {
        await page.reload();
        await page.getByRole('button', { name: 'Members' }).click();
        return (await hook('/down').getByTestId('webhook-state').textContent()) ?? '';
      }, WAIT)
      .toMatch(/^Disabled after 2 failed deliveries in a row since .*HTTP 503/);
    await page.screenshot({ path: join(ARTIFACTS, 'webhooks-disabled.png') });
    await dialog()
      .getByRole('button', { name: `Delete webhook ${receiver.url}/down` })
      .click();
    await countOf(hook('/down')).toBe(0);
    await countOf(hook('/ok')).toBe(1);
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Stack } from '@taskflow/auth/testing';
import type { Webhook, WebhookDelivery, WebhookWithSecret } from '@taskflow/contracts';
import { WEBHOOK_DEFAULTS } from '@taskflow/router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliAgainstStack } from './helpers/run';

describe('taskflow webhooks, as a real process against a real stack', () => {
  const cli = cliAgainstStack('taskflow-webhooks-', [
    {},
    undefined,
    {
      webhooks: { ...WEBHOOK_DEFAULTS, allowPrivateNetworks: true },
      webhookPollIntervalMs: 100,
    },
  ]);
  const { taskflow, json } = cli;
  let s: Stack;
  let receiver: Server;
  let receiverUrl = '';
  const ids: string[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      ids.push(String(req.headers['webhook-id']));
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    s = cli.stack();
    await s.signUp('hana@example.com', 'Hana Hooks', 'hana-password-123');
    const r = await taskflow(['login', '--email', 'hana@example.com'], {
      TASKFLOW_PASSWORD: 'hana-password-123',
    });
    expect(r.code, r.stderr).toBe(0);
    await json(['project', 'create', 'hooks', 'Hooks']);
  });
  afterAll(async () => {
    receiver.closeAllConnections();
    await new Promise((r) => receiver.close(r));
  });

  it('creates (printing the secret once), lists, rotates, pings, reads deliveries and deletes', async () => {
    const created = await taskflow([
      'webhooks',
      'create',
      'hooks',
      `${receiverUrl}/in`,
      '--events',
      'task.created,task.completed',
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(
      /^whsec_\S+\n\nCreated webhook \d+ of hooks -> http:\/\/127\.0\.0\.1:\d+\/in\. Store the secret now/,
    );
    const id = Number(/Created webhook (\d+)/.exec(created.stdout)?.[1]);

    const listed = await taskflow(['webhooks', 'list', 'hooks']);
    expect(listed.stdout).toMatch(
      new RegExp(`${id}\\s+enabled\\s+task.created,task.completed\\s+${receiverUrl}/in`),
    );
    expect(listed.stdout).not.toContain('whsec_');

    const rotated = await json<WebhookWithSecret>(['webhooks', 'rotate', 'hooks', String(id)]);
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.previous_secret_expires_at).not.toBeNull();

    const ping = await json<{ message_id: string }>(['webhooks', 'test', 'hooks', String(id)]);
    await expect.poll(() => ids, { timeout: 15_000, interval: 100 }).toContain(ping.message_id);
    await expect
      .poll(
        async () =>
          (
            await json<{ items: WebhookDelivery[] }>([
              'webhooks',
              'deliveries',
              'hooks',
              String(id),
            ])
          ).items.length,
        {
          timeout: 15_000,
          interval: 200,
        },
      )
      .toBe(1);
    const log = await taskflow(['webhooks', 'deliveries', 'hooks', String(id)]);
    expect(log.stdout).toMatch(new RegExp(`${ping.message_id}\\s+1\\s+204`));

    const disabled = await json<Webhook>(['webhooks', 'edit', 'hooks', String(id), '--disable']);
    expect(disabled.enabled).toBe(false);
    expect(disabled.disabled_reason).toMatch(/^Disabled by Hana Hooks/);
    const shown = await taskflow(['webhooks', 'show', 'hooks', String(id)]);
    expect(shown.stdout).toMatch(/state:\s+Disabled by Hana Hooks/);

    const bad = await taskflow(['webhooks', 'create', 'hooks', 'gopher://example.com/']);
    expect(bad.code).toBe(7);
    expect(bad.stderr).toContain('http or https');

    const deleted = await taskflow(['webhooks', 'delete', 'hooks', String(id)]);
    expect(deleted.stdout.trim()).toBe(`Deleted webhook ${id} of hooks`);
    const gone = await taskflow(['webhooks', 'show', 'hooks', String(id)]);
    expect(gone.code).toBe(4);
  });
});

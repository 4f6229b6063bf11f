import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { auditIdsAfter, deliveryFigures, lastAuditId, settle, tally } from './feed-checks';
import { httpClient } from './http';
import { signatureVerifies } from './signature';
import { writeSteadily } from './writers';
import type { ScenarioResult } from './wrk';

export interface WebhookLoad {
  baseUrl: string;
  client: pg.Client;
  /** The main project's owner: may subscribe a URL to it. */
  token: string;
  projectSlug: string;
  writers: number;
  rate: number;
  seconds: number;
}

interface Delivery {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  receivedAt: number;
}

/** A receiver on loopback that records every POST and answers 204. */
async function startReceiver(onDelivery: (delivery: Delivery) => void) {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const header = (name: string) => String(req.headers[name] ?? '');
      onDelivery({
        id: header('webhook-id'),
        timestamp: header('webhook-timestamp'),
        signature: header('webhook-signature'),
        body: Buffer.concat(chunks).toString(),
        receivedAt: Date.now(),
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // The API's keep-alive sockets would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}

/** The audit id in a webhook-id (`msg_<audit id>_<subscription id>`). */
export function auditIdOfMessage(messageId: string): number | undefined {
  const match = /^msg_(\d+)_\d+$/.exec(messageId);
  return match ? Number(match[1]) : undefined;
}

/**
 * webhooks: a receiver on loopback subscribed to the main project, writers changing tasks
 * for `seconds`, then a wait until deliveries stop (10 s quiet, 60 s at most). Every change
 * must arrive exactly once (by webhook-id) with a signature that verifies. Latency: receipt
 * minus the message's timestamp (the audit row's created_at).
 */
export async function runWebhooks(load: WebhookLoad): Promise<ScenarioResult> {
  const deliveries: Delivery[] = [];
  const receiver = await startReceiver((delivery) => deliveries.push(delivery));
  const send = httpClient(load.baseUrl, load.token, 2);
  const hooks = `/api/projects/${encodeURIComponent(load.projectSlug)}/webhooks`;
  const created = await send('POST', hooks, { url: receiver.url });
  const subscription = created.json as { id?: number; secret?: string } | null;
  if (created.status !== 201 || !subscription?.id || !subscription.secret) {
    await receiver.stop();
    throw new Error(
      `subscribing answered ${created.status} ${JSON.stringify(created.json)} (does the API allow private networks? WEBHOOK_ALLOW_PRIVATE_NETWORKS=true)`,
    );
  }
  const { id: subscriptionId, secret } = subscription;
  try {
    // After the subscription's own audit row: only the writers' changes count.
    const start = await lastAuditId(load.client);
    const writeStart = Date.now();
    const writes = await writeSteadily(load);
    const expected = await auditIdsAfter(load.client, load.projectSlug, start);
    const ours = () => deliveries.filter((d) => (auditIdOfMessage(d.id) ?? 0) > start);
    await settle(
      () => ours().length >= expected.length,
      () => deliveries.length,
      10_000,
      60_000,
    );
    // A moment more: a duplicate would come after the last first delivery.
    await new Promise((resolve) => setTimeout(resolve, 1000));

    const counted = ours();
    const received = new Map<number, number>();
    for (const d of counted) {
      const id = auditIdOfMessage(d.id) as number;
      received.set(id, (received.get(id) ?? 0) + 1);
    }
    const { missing, duplicated } = tally(expected, received);
    const unexpected = [...received.keys()].filter((id) => !expected.includes(id)).length;
    const badSignatures = counted.filter(
      (d) => !signatureVerifies(secret, d.id, d.timestamp, d.body, d.signature),
    ).length;
    const latencies = counted.map(
      (d) => d.receivedAt - Date.parse((JSON.parse(d.body) as { timestamp: string }).timestamp),
    );
    const lastReceipt = Math.max(writeStart, ...counted.map((d) => d.receivedAt));
    const seconds = Math.max(0.001, (lastReceipt - writeStart) / 1000);
    const result: ScenarioResult = {
      name: 'webhooks',
      ...deliveryFigures(latencies, seconds, writes.failed),
      note: `${load.writers} writers aiming at ${load.rate}/s: ${expected.length} changes (${(expected.length / writes.seconds).toFixed(1)}/s), ${counted.length} deliveries (${(counted.length / seconds).toFixed(1)}/s, last ${((lastReceipt - writeStart) / 1000 - writes.seconds).toFixed(1)} s after the writes), missing ${missing.length}, duplicated ${duplicated.length}, unexpected ${unexpected}, bad signatures ${badSignatures}; latency = receipt - message timestamp (ms); req/s = deliveries/s`,
    };
    if (missing.length || duplicated.length || unexpected || badSignatures) {
      result.failure = `webhooks broken: ${JSON.stringify({
        missing: missing.slice(0, 5),
        duplicated: duplicated.slice(0, 5),
        unexpected,
        badSignatures,
      })}`;
    }
    return result;
  } finally {
    await send('DELETE', `${hooks}/${subscriptionId}`);
    await receiver.stop();
  }
}

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookMessage } from '@taskflow/contracts';

export interface ReceivedWebhook {
  path: string;
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  message: WebhookMessage;
  headers: IncomingHttpHeaders;
}

/** What the endpoint answers: a status, or 'hang' (never answers). */
export type Answer = number | 'hang';

/**
 * A webhook endpoint on loopback that records every request. `answer` decides the
 * status per request (by default 200), e.g. failing on purpose for a while.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  answer: (request: ReceivedWebhook, attemptsOfThisId: number) => Answer = () => 200;
  private server: Server | undefined;
  private waiters: (() => void)[] = [];
  url = '';

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const header = (name: string) => String(req.headers[name] ?? '');
        const got: ReceivedWebhook = {
          path: req.url ?? '/',
          id: header('webhook-id'),
          timestamp: header('webhook-timestamp'),
          signature: header('webhook-signature'),
          body,
          message: JSON.parse(body) as WebhookMessage,
          headers: req.headers,
        };
        this.received.push(got);
        const attempts = this.received.filter((r) => r.id === got.id).length;
        const answer = this.answer(got, attempts);
        for (const wake of this.waiters.splice(0)) wake();
        if (answer === 'hang') return;
        res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer >= 400 ? 'nope' : 'ok');
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Requests to `path` so far. */
  at(path: string): ReceivedWebhook[] {
    return this.received.filter((r) => r.path === path);
  }

  /** Resolves once `check` holds over what was received; fails after `timeoutMs`. */
  async waitFor(
    check: () => boolean,
    timeoutMs = 20_000,
    what = 'webhook requests',
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { freePort, type Stack, startStack } from '@taskflow/auth/testing';
import { createLogger } from '@taskflow/service';
import type { FastifyInstance } from 'fastify';
import { createWebServer } from '../../server/serve';
import { DIST_DIR, ensureBuilt } from './ensure-built';

export interface RunningWeb {
  app: FastifyInstance;
  url: string;
  /** Every JSON log line the server wrote, parsed. */
  lines: Record<string, unknown>[];
}

/** The web server on an ephemeral loopback port, its log lines kept for assertions. */
export async function startWeb(options: {
  distDir: string;
  apiUrl: string;
  authUrl: string;
  /** 0 (any free port) unless a test needs to know it before starting. */
  port?: number;
  upstreamTimeoutMs?: number;
  drainMs?: number;
}): Promise<RunningWeb> {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const logger = createLogger({ service: 'web', destination });
  const { port = 0, ...urls } = options;
  const app = await createWebServer({ ...urls, logger });
  const url = await app.listen({ port, host: '127.0.0.1' });
  return { app, url, lines };
}

/** A real HTTP server on an ephemeral loopback port. */
export async function startUpstream(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The whole product for a browser: API, auth service and PostgreSQL, and the web server before them. */
export async function startWebStack(
  options: Omit<Parameters<typeof startStack>[0] & object, 'trustedOrigins'> = {},
  apiWebhooks: Parameters<typeof startStack>[2] = {},
): Promise<{ stack: Stack; web: RunningWeb; webUrl: string; stop(): Promise<void> }> {
  await ensureBuilt();
  const port = await freePort();
  const webUrl = `http://127.0.0.1:${port}`;
  // The stack's own helpers (sign-up, agents) send Origin http://localhost:3000.
  const stack = await startStack(
    {
      ...options,
      trustedOrigins: [webUrl, 'http://localhost:3000'],
    },
    undefined,
    apiWebhooks,
  );
  const web = await startWeb({
    distDir: DIST_DIR,
    apiUrl: stack.apiUrl,
    authUrl: stack.authUrl,
    port,
  });
  return {
    stack,
    web,
    webUrl,
    async stop() {
      await web.app.close();
      await stack.stop();
    },
  };
}

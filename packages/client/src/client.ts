import type { AppRouter } from '@taskflow/router';
import {
  createTRPCClient,
  httpLink,
  httpSubscriptionLink,
  type Operation,
  splitLink,
  TRPCClientError,
} from '@trpc/client';
import { EventSource } from 'eventsource';
import { apiKeyToken, staticToken, TokenCache, type TokenSource } from './credentials';
import { type RetryOptions, retryingFetch } from './retry';

export interface TaskflowClientOptions {
  /** The API's base URL, e.g. http://localhost:8000 (tRPC is at /trpc). */
  url: string;
  /** A bearer token, or a function that returns a current one. */
  token?: string | TokenSource;
  /** An agent's API key, exchanged for tokens at `authUrl`. */
  apiKey?: string;
  /** The identity service, needed with `apiKey`; e.g. http://localhost:3001. */
  authUrl?: string;
  /** Recorded in every audit row this client causes (x-taskflow-client). Default: script. */
  clientName?: string;
  /**
   * Retries of network errors, 503 and 429 (backoff with jitter, Retry-After honoured);
   * `false` sends each call once. Mutations are safe to retry: each carries its own
   * Idempotency-Key, the same on every retry.
   */
  retry?: RetryOptions | false;
}

/**
 * The Idempotency-Key of one mutation call: the caller's own, passed as
 * `mutate(input, { context: { idempotencyKey } })` (a script that may itself be
 * re-run can persist it), else a fresh UUID. httpLink asks once per call, not per
 * retry, so every retry of the call sends the same key.
 */
export function idempotencyHeaders({ op }: { op: Operation }): Record<string, string> {
  if (op.type !== 'mutation') return {};
  const own = op.context.idempotencyKey;
  return { 'idempotency-key': typeof own === 'string' ? own : crypto.randomUUID() };
}

function tokenSource(options: TaskflowClientOptions): TokenSource {
  if (options.token !== undefined)
    return typeof options.token === 'string' ? staticToken(options.token) : options.token;
  if (options.apiKey) {
    if (!options.authUrl)
      throw new Error('createTaskflowClient: `authUrl` is required with `apiKey`');
    return apiKeyToken(options.authUrl, options.apiKey);
  }
  throw new Error('createTaskflowClient: pass `token` or `apiKey`');
}

/**
 * The typed TaskFlow client: the API's own procedures, checked by the
 * compiler. Tokens are fetched, renewed before they expire, and renewed once
 * more when the API answers 401. Network errors, 503 and 429 are retried, and
 * every mutation carries an Idempotency-Key, so a retried create makes one task.
 *
 * ```ts
 * const taskflow = createTaskflowClient({ url: 'http://localhost:8000', apiKey, authUrl: 'http://localhost:3001' });
 * const task = await taskflow.tasks.create.mutate({ title: 'Triage inbox' });
 * await taskflow.tasks.start.mutate({ id: task.id });
 * ```
 */
export function createTaskflowClient(options: TaskflowClientOptions) {
  const tokens = new TokenCache(tokenSource(options));
  const clientName = options.clientName ?? 'script';
  const send = async (
    input: Parameters<typeof fetch>[0],
    init: RequestInit | undefined,
    token: string,
  ) => {
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${token}`);
    headers.set('x-taskflow-client', clientName);
    return fetch(input, { ...init, headers });
  };
  const authorizedFetch: typeof fetch = async (input, init) => {
    const res = await send(input, init, await tokens.get());
    if (res.status !== 401) return res;
    tokens.invalidate();
    return send(input, init, await tokens.get());
  };
  const retried =
    options.retry === false ? authorizedFetch : retryingFetch(authorizedFetch, options.retry);
  const url = `${options.url.replace(/\/$/, '')}/trpc`;
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        // Server-sent events (events.onChange): the `eventsource` package, as Node 20 has
        // no EventSource and a browser's cannot send a bearer token. It reconnects with
        // the last event id, so a dropped stream resumes where it stopped.
        true: httpSubscriptionLink({
          url,
          EventSource,
          eventSourceOptions: { fetch: authorizedFetch },
        }),
        false: httpLink({ url, fetch: retried, headers: idempotencyHeaders }),
      }),
    ],
  });
}

export type TaskflowClient = ReturnType<typeof createTaskflowClient>;

/** A failed call, with what a caller acts on: HTTP status, code and the server's message. */
export interface Failure {
  status: number | undefined;
  code: string | undefined;
  message: string;
  /** Per-field validation messages. */
  issues: { path: string; message: string }[];
}

export function describeFailure(error: unknown): Failure {
  if (error instanceof TRPCClientError) {
    const data = (error.data ?? {}) as {
      httpStatus?: number;
      code?: string;
      issues?: Failure['issues'];
    };
    const cause = error.cause as { name?: string; message?: string } | undefined;
    if (!error.data && cause) {
      return {
        status: undefined,
        code: cause.name === 'AuthenticationError' ? 'UNAUTHORIZED' : 'NETWORK',
        message: cause.message ?? error.message,
        issues: [],
      };
    }
    return {
      status: data.httpStatus,
      code: data.code,
      message: error.message,
      issues: data.issues ?? [],
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    status: undefined,
    code:
      error instanceof Error && error.name === 'AuthenticationError' ? 'UNAUTHORIZED' : undefined,
    message,
    issues: [],
  };
}

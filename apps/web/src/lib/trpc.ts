import { idempotencyHeaders, retryingFetch } from '@taskflow/client';
import type { AppRouter } from '@taskflow/router';
import {
  createTRPCClient,
  httpBatchLink,
  httpLink,
  httpSubscriptionLink,
  splitLink,
} from '@trpc/client';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import { EventSource } from 'eventsource';
import { tokens } from './auth-client';

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

export class SessionExpired extends Error {
  constructor() {
    super('Your session has expired. Please sign in again.');
    this.name = 'SessionExpired';
  }
}

/**
 * Sends the API token; on a 401 gets a fresh one from the session once and
 * retries. When the session itself is gone, reports it so the app can send
 * the user back to sign-in.
 */
export function authorizedFetch(onSessionExpired: () => void): typeof fetch {
  const withToken = async (
    input: RequestInfo | URL,
    init: RequestInit | undefined,
    token: string,
  ) => {
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${token}`);
    headers.set('x-taskflow-client', 'web');
    return fetch(input, { ...init, headers });
  };
  return async (input, init) => {
    const token = await tokens.get().catch(() => null);
    if (!token) {
      onSessionExpired();
      throw new SessionExpired();
    }
    const res = await withToken(input, init, token);
    if (res.status !== 401) return res;
    tokens.invalidate();
    const fresh = await tokens.get().catch(() => null);
    if (!fresh) {
      onSessionExpired();
      throw new SessionExpired();
    }
    const retried = await withToken(input, init, fresh);
    if (retried.status === 401) {
      onSessionExpired();
      throw new SessionExpired();
    }
    return retried;
  };
}

export function createClient(onSessionExpired: () => void) {
  const fetch = authorizedFetch(onSessionExpired);
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        // The live board (events.onChange) over server-sent events. The browser's own
        // EventSource cannot send the bearer token: the `eventsource` package sends it
        // through fetch, and reconnects with the last event id.
        true: httpSubscriptionLink({ url: '/trpc', EventSource, eventSourceOptions: { fetch } }),
        false: splitLink({
          condition: (op) => op.type === 'mutation',
          // One request per mutation, each with its own Idempotency-Key: a create whose
          // answer was lost on the way is sent again with the same key and answered from
          // the first run.
          true: httpLink({
            url: '/trpc',
            fetch: retryingFetch(fetch),
            headers: idempotencyHeaders,
          }),
          false: httpBatchLink({ url: '/trpc', fetch, maxURLLength: 4000 }),
        }),
      }),
    ],
  });
}

export type Client = ReturnType<typeof createClient>;

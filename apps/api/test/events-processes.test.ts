import { connect } from 'node:net';
import type { ChangeEvent } from '@taskflow/contracts';
import { sql } from '@taskflow/db';
import { createTestDatabase, type TestDatabase } from '@taskflow/db/testing';
import type { AppRouter } from '@taskflow/router';
import { createTRPCClient, httpSubscriptionLink } from '@trpc/client';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestIssuer } from './helpers/jwks';
import { waitForLog } from './helpers/observe';
import { type ServiceProcess, startApisFor } from './helpers/process';
import { restClient } from './helpers/rest';
import { openEventStream } from './helpers/sse';

/** A typed tRPC client that subscribes over SSE (Node 20 has no EventSource: the `eventsource` package). */
function subscriber(baseUrl: string, token: string) {
  return createTRPCClient<AppRouter>({
    links: [
      httpSubscriptionLink({
        url: `${baseUrl}/trpc`,
        EventSource,
        eventSourceOptions: {
          fetch: (input, init) =>
            fetch(input, {
              ...init,
              headers: { ...init?.headers, authorization: `Bearer ${token}` },
            }),
        },
      }),
    ],
  });
}

/**
 * Two real API processes on one PostgreSQL database: a change made through one reaches
 * subscribers of the other (REST and tRPC), woken by LISTEN/NOTIFY.
 */
describe('the change feed across two API processes', () => {
  let issuer: TestIssuer;
  let database: TestDatabase;
  let apis: ServiceProcess[] = [];
  let urls: string[] = [];
  let token: string;

  beforeAll(async () => {
    issuer = await new TestIssuer().start();
    database = await createTestDatabase({ migrate: false });
    ({ apis, urls } = await startApisFor(issuer, database.url, 2, {
      LEASE_SWEEP_INTERVAL_MS: '0',
      EVENTS_MAX_BUFFERED_BYTES: '65536',
      EVENTS_SLOW_CLIENT_MS: '2000',
      // Far beyond the test: what reaches the other process comes by its NOTIFY.
      EVENTS_FALLBACK_POLL_MS: '600000',
    }));
    token = await issuer.token('olga');
    const created = await restClient(urls[0] as string)('POST', '/api/projects', {
      token,
      body: { slug: 'apollo', name: 'Apollo' },
    });
    expect(created.status).toBe(201);
  }, 90_000);
  afterAll(async () => {
    for (const api of apis) {
      api.child.kill('SIGTERM');
      await api.exited;
    }
    await issuer?.stop();
    await database?.drop();
  });

  it('brings a change made through one process to an SSE subscriber of the other', async () => {
    const s = await openEventStream(`${urls[1]}/api/events?project_slug=apollo`, {
      authorization: `Bearer ${token}`,
    });
    expect(s.status).toBe(200);
    const made = await restClient(urls[0] as string)<{ id: number }>('POST', '/api/tasks', {
      token,
      body: { title: 'Across', project_slug: 'apollo' },
    });
    const [event] = await s.waitForEvents(1);
    const change = JSON.parse(event?.data ?? '') as ChangeEvent;
    expect(change).toMatchObject({ action: 'created', task_id: made.body.id });
    expect(event?.id).toBe(String(change.id));
    s.close();
  });

  it('brings it to a tRPC subscriber (httpSubscriptionLink) of the other too, with tracked ids', async () => {
    const client = subscriber(urls[1] as string, token);
    const received: { id: string; data: ChangeEvent }[] = [];
    let failed: unknown;
    let onData = () => {};
    let ready = () => {};
    const started = new Promise<void>((r) => {
      ready = r;
    });
    const sub = client.events.onChange.subscribe(
      { project_slug: 'apollo' },
      {
        onStarted: () => ready(),
        onData: (tracked) => {
          received.push(tracked);
          onData();
        },
        onError: (error) => {
          failed = error;
          onData();
        },
      },
    );
    try {
      await started;
      const made = await restClient(urls[0] as string)<{ id: number }>('POST', '/api/tasks', {
        token,
        body: { title: 'Over tRPC', project_slug: 'apollo' },
      });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no event')), 10_000);
        onData = () => {
          if (failed || received.length) {
            clearTimeout(timer);
            resolve();
          }
        };
        onData();
      });
      expect(failed).toBeUndefined();
      expect(received[0]?.data).toMatchObject({ action: 'created', task_id: made.body.id });
      expect(received[0]?.id).toBe(String(received[0]?.data.id));
    } finally {
      sub.unsubscribe();
    }
  });

  it('refuses a tRPC subscription without a token', async () => {
    const res = await fetch(
      `${urls[1]}/trpc/events.onChange?input=${encodeURIComponent(JSON.stringify({}))}`,
      { headers: { accept: 'text/event-stream' } },
    );
    const text = await res.text();
    // tRPC sends subscription refusals as an error event on the stream.
    expect(text).toMatch(/serialized-error/);
    expect(text).toMatch(/UNAUTHORIZED/);
  });

  it('disconnects a client that never reads (REST and tRPC), which may then resume', async () => {
    const port = Number(new URL(urls[1] as string).port);
    const neverReading = async (path: string) => {
      const socket = connect(port, '127.0.0.1');
      await new Promise<void>((r) => socket.once('connect', () => r()));
      socket.on('error', () => {});
      socket.pause(); // never reads a byte
      socket.write(
        `GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\naccept: text/event-stream\r\nauthorization: Bearer ${token}\r\n\r\n`,
      );
      return socket;
    };
    const sockets = [
      await neverReading('/api/events'),
      await neverReading(`/trpc/events.onChange?input=${encodeURIComponent('{}')}`),
    ];
    // Let the stream open before the flood.
    await new Promise((r) => setTimeout(r, 500));
    // Any writer wakes the feed: 3000 rows of 4 KB, far more than a socket buffers.
    await sql`insert into audit_log (project_slug, actor_id, actor_type, action, context)
      select 'apollo', 'olga', 'human', 'project_updated',
        jsonb_build_object('n', g, 'pad', repeat('x', 4000))
      from generate_series(1, 3000) g`.execute(database.db);
    const cut = await waitForLog(
      (apis[1] as ServiceProcess).output,
      (lines) => {
        const found = lines.filter((l) => /client too slow, disconnected/.test(String(l.msg)));
        return found.length >= 2 ? found : undefined;
      },
      30_000,
    );
    expect(cut).toHaveLength(2);
    for (const socket of sockets) socket.destroy();
    // The same caller streams again, resuming: nothing of the flood is lost.
    const first = await sql<{ id: string }>`select min(id) as id from audit_log
      where context->>'n' = '1'`.execute(database.db);
    const resumed = await openEventStream(`${urls[1]}/api/events`, {
      authorization: `Bearer ${token}`,
      'last-event-id': String(Number(first.rows[0]?.id) - 1),
    });
    const events = await resumed.waitForEvents(3000, 60_000);
    expect(events.map((e) => (JSON.parse(e.data) as ChangeEvent).context.n)).toEqual(
      Array.from({ length: 3000 }, (_, i) => i + 1),
    );
    resumed.close();
  }, 90_000);

  it('ends open streams on SIGTERM and exits cleanly, without waiting for them', async () => {
    const api = apis[0] as ServiceProcess;
    const s = await openEventStream(`${urls[0]}/api/events`, { authorization: `Bearer ${token}` });
    expect(s.status).toBe(200);
    // A tRPC subscriber is dropped, not completed: its link reconnects (behind a load
    // balancer, to another process) and resumes from its last id.
    const states: string[] = [];
    let completed = false;
    let started = () => {};
    const running = new Promise<void>((r) => {
      started = r;
    });
    const sub = subscriber(urls[0] as string, token).events.onChange.subscribe(
      {},
      {
        onStarted: () => started(),
        onComplete: () => {
          completed = true;
        },
        onConnectionStateChange: (state) => {
          states.push(state.state);
        },
      },
    );
    await running;
    api.child.kill('SIGTERM');
    expect(await api.exited).toBe(0);
    await s.ended;
    for (let i = 0; i < 100 && !states.slice(1).includes('connecting'); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(completed).toBe(false);
    expect(states).toEqual(['connecting', 'pending', 'connecting']);
    sub.unsubscribe();
  }, 30_000);
});

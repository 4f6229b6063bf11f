import type { ChangeEvent, ChangePage } from '@taskflow/contracts';
import { sql } from '@taskflow/db';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, type Harness, startHarness } from './helpers/harness';
import { restClient } from './helpers/rest';
import { type EventStream, openEventStream } from './helpers/sse';

const parse = (data: string) => JSON.parse(data) as ChangeEvent;

/** Retries `read` until `ready` holds (the feed settles a moment after the commit). */
async function until<T>(read: () => Promise<T>, ready: (value: T) => boolean): Promise<T> {
  for (let i = 0; ; i++) {
    const value = await read();
    if (ready(value) || i === 100) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The change feed through REST (GET /api/events, /api/events/history) on one API process. */
describe('the change feed', () => {
  let h: Harness;
  const tokens: Record<string, string> = {};
  let olga: Client;
  let pete: Client;
  let stan: Client;
  const streams: EventStream[] = [];

  const stream = async (sub: string, query = '', headers: Record<string, string> = {}) => {
    const s = await openEventStream(`${h.baseUrl}/api/events${query}`, {
      authorization: `Bearer ${tokens[sub]}`,
      ...headers,
    });
    streams.push(s);
    return s;
  };

  beforeAll(async () => {
    // The fallback poll is far beyond any test: only NOTIFY (and reconnects) deliver.
    h = await startHarness({
      changes: { maxStreamsPerPrincipal: 3, keepAliveMs: 200, fallbackPollMs: 600_000 },
    });
    for (const sub of ['olga', 'pete', 'stan']) tokens[sub] = await h.issuer.token(sub);
    tokens.root = await h.issuer.token('root', { role: 'admin' });
    olga = h.withToken(tokens.olga as string);
    pete = h.withToken(tokens.pete as string);
    stan = h.withToken(tokens.stan as string);
    await pete.workers.me.query();
    await stan.workers.me.query();
    await olga.projects.create.mutate({ slug: 'apollo', name: 'Apollo' });
    await stan.projects.create.mutate({ slug: 'secret', name: 'Secret' });
  }, 60_000);
  afterAll(async () => {
    for (const s of streams) s.close();
    await h.stop();
  });

  it('ends a stream when its token lapses, so the client must come back with a fresh one', async () => {
    const brief = await h.issuer.token('olga', {}, { expiresIn: 2 });
    const s = await openEventStream(`${h.baseUrl}/api/events`, {
      authorization: `Bearer ${brief}`,
    });
    streams.push(s);
    expect(s.status).toBe(200);
    // The server drops the connection once the token's exp has passed (well before the
    // test's own timeout); a client reconnecting with the lapsed token would get 401.
    await s.ended;
    expect(Date.now()).toBeGreaterThanOrEqual(
      Number(JSON.parse(atob(brief.split('.')[1] ?? '')).exp) * 1000 - 50,
    );
  });

  it('answers other methods on the stream with 405 and Allow: GET (HEAD too: its answer never ends)', async () => {
    for (const method of ['HEAD', 'POST', 'DELETE']) {
      const res = await fetch(`${h.baseUrl}/api/events`, {
        method,
        headers: { authorization: `Bearer ${tokens.olga}` },
      });
      expect(res.status, method).toBe(405);
      expect(res.headers.get('allow')).toBe('GET');
    }
    // A plain route still answers HEAD like GET.
    const head = await fetch(`${h.baseUrl}/api/events/history`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${tokens.olga}` },
    });
    expect(head.status).toBe(200);
  });

  it('refuses a missing token with 401 as JSON, before any stream starts', async () => {
    const s = await openEventStream(`${h.baseUrl}/api/events`);
    expect(s.status).toBe(401);
    expect(s.headers.get('www-authenticate')).toBe('Bearer');
    expect(s.body).toMatchObject({ code: 'UNAUTHORIZED', status_code: 401 });
  });

  it('answers 404 for a project the caller is not in, and 400 for a bad Last-Event-ID', async () => {
    const hidden = await stream('olga', '?project_slug=secret');
    expect(hidden.status).toBe(404);
    const bad = await stream('olga', '', { 'last-event-id': 'yesterday' });
    expect(bad.status).toBe(400);
  });

  it('streams a member the changes of their project, with the task as it stands, and keeps alive', async () => {
    const s = await stream('olga');
    expect(s.status).toBe(200);
    expect(s.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const task = await olga.tasks.create.mutate({ title: 'Live', project_slug: 'apollo' });
    await olga.tasks.start.mutate({ id: task.id });
    const [created, started] = await s.waitForEvents(2);
    const first = parse(created?.data ?? '');
    expect(created?.event).toBe('change');
    expect(created?.id).toBe(String(first.id));
    expect(first).toMatchObject({ action: 'created', task_id: task.id, project_slug: 'apollo' });
    expect(parse(started?.data ?? '')).toMatchObject({
      action: 'started',
      task: { id: task.id, status: 'in_progress', assigned_to: 'olga' },
    });
    await s.waitForComment('ping');
    s.close();
  });

  it('shows a stranger nothing of a project they are not in; joining mid-stream starts delivery', async () => {
    const strangers = await stream('pete');
    await olga.tasks.create.mutate({ title: 'Before pete joins', project_slug: 'apollo' });
    await olga.projects.addMember.mutate({ slug: 'apollo', worker_id: 'pete' });
    const after = await olga.tasks.create.mutate({ title: 'After', project_slug: 'apollo' });
    const [joined, created] = await strangers.waitForEvents(2);
    expect(parse(joined?.data ?? '')).toMatchObject({
      action: 'member_added',
      context: { worker_id: 'pete' },
    });
    expect(parse(created?.data ?? '')).toMatchObject({ action: 'created', task_id: after.id });
    // Nothing of 'secret' (stan's), nor the task made before pete joined.
    const titles = strangers.events.map((e) => parse(e.data).task?.title);
    expect(titles).not.toContain('Before pete joins');
    expect(strangers.events.every((e) => parse(e.data).project_slug === 'apollo')).toBe(true);

    // Leaving stops delivery too: stan's change after pete left never reaches him.
    await olga.projects.removeMember.mutate({ slug: 'apollo', worker_id: 'pete' });
    await olga.tasks.create.mutate({ title: 'After pete left', project_slug: 'apollo' });
    const olgaView = await until(
      () => olga.events.list.query({ after: 0, limit: 500 }),
      (page) => page.items.at(-1)?.task?.title === 'After pete left',
    );
    const last = olgaView.items.at(-1);
    expect(last?.task?.title).toBe('After pete left');
    // pete's own view (history) is past that id and holds nothing of apollo any more.
    const peteView = await pete.events.list.query({ after: Number(created?.id) });
    expect(peteView.items).toEqual([]);
    expect(peteView.next_cursor).toBeGreaterThanOrEqual(last?.id ?? Number.POSITIVE_INFINITY);
    strangers.close();
  });

  it('resumes with Last-Event-ID and misses nothing made while disconnected', async () => {
    const s = await stream('olga', '?project_slug=apollo');
    const task = await olga.tasks.create.mutate({ title: 'Resume', project_slug: 'apollo' });
    const [seen] = await s.waitForEvents(1);
    s.close();
    await s.ended;
    const missed: string[] = [];
    for (const title of ['m1', 'm2', 'm3']) {
      const t = await olga.tasks.create.mutate({ title, project_slug: 'apollo' });
      missed.push(String(t.id));
    }
    await stan.tasks.create.mutate({ title: 'not apollo', project_slug: 'secret' });
    await olga.tasks.update.mutate({ id: task.id, title: 'Resumed' });
    const again = await stream('olga', '?project_slug=apollo', { 'last-event-id': seen?.id ?? '' });
    const got = (await again.waitForEvents(4)).map((e) => parse(e.data));
    expect(got.map((e) => e.action)).toEqual(['created', 'created', 'created', 'updated']);
    expect(got.slice(0, 3).map((e) => String(e.task_id))).toEqual(missed);
    const ids = got.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(ids[0]).toBeGreaterThan(Number(seen?.id));
    // `after` does the same for clients that cannot set headers.
    const byQuery = await stream('olga', `?project_slug=apollo&after=${seen?.id}`);
    expect((await byQuery.waitForEvents(4)).map((e) => e.id)).toEqual(ids.map(String));
    again.close();
    byQuery.close();
    await Promise.all([again.ended, byQuery.ended]);
  });

  it('delivers a lower id held by an open transaction, in order, after a higher one commits', async () => {
    // From the log's end as it stands (root's first call registers root: an event of its own).
    await h.withToken(tokens.root as string).workers.me.query();
    const { rows } = await sql<{ max: string }>`select max(id) as max from audit_log`.execute(
      h.database.db,
    );
    const s = await stream('root', `?after=${rows[0]?.max}`);
    const a = new pg.Client({ connectionString: h.database.url });
    const b = new pg.Client({ connectionString: h.database.url });
    await a.connect();
    await b.connect();
    const insert = (client: pg.Client, note: string) =>
      client.query<{ id: string }>(
        `insert into audit_log (project_slug, actor_id, actor_type, action, context)
         values ('apollo', 'olga', 'human', 'project_updated', $1) returning id`,
        [JSON.stringify({ note })],
      );
    try {
      await a.query('begin');
      const low = Number((await insert(a, 'low')).rows[0]?.id);
      const high = Number((await insert(b, 'high')).rows[0]?.id); // autocommit: committed first
      expect(high).toBe(low + 1);
      // While the lower id may still commit, neither the list nor the stream goes past it.
      const root = h.withToken(tokens.root as string);
      const before = await root.events.list.query({ after: low - 1 });
      expect(before.items).toEqual([]);
      expect(before.next_cursor).toBe(low - 1);
      await new Promise((r) => setTimeout(r, 300));
      expect(s.events.map((e) => Number(e.id))).not.toContain(high);
      await a.query('commit');
      const got = (await s.waitForEvents(2)).map((e) => parse(e.data));
      expect(got.map((e) => [e.id, e.context.note])).toEqual([
        [low, 'low'],
        [high, 'high'],
      ]);
      // A rolled-back id is a gap the feed steps over once its transaction is gone.
      await a.query('begin');
      const lost = Number((await insert(a, 'lost')).rows[0]?.id);
      const kept = Number((await insert(b, 'kept')).rows[0]?.id);
      await a.query('rollback');
      const [next] = (await s.waitForEvents(3)).slice(2).map((e) => parse(e.data));
      expect(next).toMatchObject({ id: kept, context: { note: 'kept' } });
      expect(kept).toBe(lost + 1);
      const listed = await root.events.list.query({ after: low });
      expect(listed.items.map((e) => e.id)).toEqual([high, kept]);
    } finally {
      await a.end();
      await b.end();
    }
  });

  it('wakes on any writer: a row inserted straight into audit_log reaches the stream', async () => {
    const s = await stream('root');
    await sql`insert into audit_log (project_slug, actor_id, actor_type, action, context)
      values ('secret', 'system', 'system', 'released', '{"reason":"lease_expired"}')`.execute(
      h.database.db,
    );
    const [e] = await s.waitForEvents(1);
    expect(parse(e?.data ?? '')).toMatchObject({ action: 'released', actor_type: 'system' });
  });

  it('listens again after losing its LISTEN connection, and catches up on what it missed', async () => {
    const s = await stream('root', '?project_slug=secret');
    expect(s.status).toBe(200);
    // Ends every server connection of the database, the LISTEN one included.
    expect(await h.database.terminateConnections()).toBeGreaterThan(0);
    const writer = new pg.Client({ connectionString: h.database.url });
    await writer.connect();
    try {
      for (const n of [1, 2]) {
        await writer.query(
          `insert into audit_log (project_slug, actor_id, actor_type, action, context)
           values ('secret', 'stan', 'human', 'project_updated', $1)`,
          [JSON.stringify({ n })],
        );
      }
    } finally {
      await writer.end();
    }
    const got = (await s.waitForEvents(2)).map((e) => parse(e.data).context.n);
    expect(got).toEqual([1, 2]);
  });

  it('resumes a tRPC subscription from lastEventId (what httpSubscriptionLink sends on reconnect)', async () => {
    const first = await olga.tasks.create.mutate({ title: 'tRPC one', project_slug: 'apollo' });
    const second = await olga.tasks.create.mutate({ title: 'tRPC two', project_slug: 'apollo' });
    const history = await until(
      () => olga.events.list.query({ after: 0, project_slug: 'apollo', limit: 500 }),
      (page) => page.items.some((e) => e.task_id === second.id),
    );
    const before = history.items.find((e) => e.task_id === first.id && e.action === 'created');
    const url = `${h.baseUrl}/trpc/events.onChange?input=${encodeURIComponent(
      JSON.stringify({ project_slug: 'apollo', lastEventId: String(before?.id) }),
    )}`;
    const s = await openEventStream(url, { authorization: `Bearer ${tokens.olga}` });
    streams.push(s);
    // tRPC's own events (connected, a restored id) come with them; the data events carry no name.
    await until(
      async () => s.events.filter((e) => e.event === undefined && e.data),
      (found) => found.length > 0,
    );
    const event = s.events.find((e) => e.event === undefined && e.data);
    expect(event?.id).not.toBe(String(before?.id));
    const data = JSON.parse(event?.data ?? '') as ChangeEvent;
    expect(data).toMatchObject({ action: 'created', task_id: second.id });
    expect(event?.id).toBe(String(data.id));
  });

  it('refuses a stream over the per-caller limit with 429 and Retry-After; closing one frees it', async () => {
    const open: EventStream[] = [];
    for (let i = 0; i < 3; i++) open.push(await stream('stan'));
    expect(open.map((s) => s.status)).toEqual([200, 200, 200]);
    const over = await stream('stan');
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(over.body).toMatchObject({ code: 'TOO_MANY_REQUESTS', status_code: 429 });
    open[0]?.close();
    await open[0]?.ended;
    let again: EventStream | undefined;
    for (let i = 0; i < 50 && again?.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 50));
      again = await stream('stan');
    }
    expect(again?.status).toBe(200);
    for (const s of [...open, again]) s?.close();
  });

  it('gives back the slot of a client that hangs up while its stream is being set up (REST and tRPC)', async () => {
    // One caller per surface, each hanging up as many times as it may hold streams.
    const surfaces = [
      { sub: 'hugo', path: '/api/events' },
      { sub: 'ida', path: `/trpc/events.onChange?input=${encodeURIComponent('{}')}` },
    ];
    for (const { sub, path } of surfaces) {
      tokens[sub] = await h.issuer.token(sub);
      await h.withToken(tokens[sub] as string).workers.me.query();
      // Setting a stream up reads the reader's projects: hold that read until the client is gone.
      const lock = new pg.Client({ connectionString: h.database.url });
      await lock.connect();
      try {
        await lock.query('begin');
        await lock.query('lock table project_members in access exclusive mode');
        const aborts = [0, 1, 2].map(() => new AbortController());
        const opened = aborts.map((abort) =>
          fetch(`${h.baseUrl}${path}`, {
            headers: { authorization: `Bearer ${tokens[sub]}` },
            signal: abort.signal,
          }).catch(() => undefined),
        );
        const waiting = await until(
          async () =>
            (
              await lock.query<{ n: number }>(
                `select count(*)::int as n from pg_locks
                 where relation = 'project_members'::regclass and not granted`,
              )
            ).rows[0]?.n ?? 0,
          (n) => n === aborts.length,
        );
        expect(waiting).toBe(aborts.length);
        for (const abort of aborts) abort.abort();
        await Promise.all(opened);
        // The server hears the hang-ups before the lock goes.
        await new Promise((r) => setTimeout(r, 200));
      } finally {
        await lock.query('commit');
        await lock.end();
      }
      // Every slot comes back: the caller may open its full share again.
      const open: EventStream[] = [];
      for (let i = 0; i < 3; i++) {
        let s = await stream(sub);
        for (let tries = 0; tries < 50 && s.status === 429; tries++) {
          await new Promise((r) => setTimeout(r, 50));
          s = await stream(sub);
        }
        open.push(s);
      }
      expect(open.map((s) => s.status)).toEqual([200, 200, 200]);
      for (const s of open) s.close();
    }
  });

  it('pages the history with events.list over REST, oldest first, with next_cursor', async () => {
    const rest = restClient(h.baseUrl);
    const first = await rest<ChangePage>('GET', '/api/events/history?limit=2&project_slug=apollo', {
      token: tokens.olga as string,
    });
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.items[0]?.action).toBe('project_created');
    const second = await rest<ChangePage>(
      'GET',
      `/api/events/history?limit=2&project_slug=apollo&after=${first.body.next_cursor}`,
      { token: tokens.olga as string },
    );
    expect(second.body.items[0]?.id).toBeGreaterThan(first.body.items[1]?.id ?? 0);
    const strangers = await rest<ChangePage>('GET', '/api/events/history?after=0', {
      token: tokens.pete as string,
    });
    expect(strangers.body.items.every((e) => e.project_slug !== 'secret')).toBe(true);
  });

  it('ends open streams when the app closes, without waiting for them', async () => {
    const other = await h.startApp();
    const s = await openEventStream(`${other.baseUrl}/api/events`, {
      authorization: `Bearer ${tokens.olga}`,
    });
    expect(s.status).toBe(200);
    await other.app.close();
    await s.ended;
    expect(other.app.changes.openStreams).toBe(0);
  });
});

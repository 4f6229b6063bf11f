import { TASK_PRIORITIES, type TaskSortField } from '@taskflow/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, failure, type Harness, startHarness } from './helpers/harness';

/**
 * Keyset pages hold still: walking a list by cursor while other clients add rows
 * returns every row that existed before the walk exactly once, whatever the sort.
 */
describe('cursor pagination', () => {
  let h: Harness;
  let ann: Client;
  let bob: Client;
  let admin: Client;
  const before: number[] = [];

  beforeAll(async () => {
    h = await startHarness();
    ann = await h.as('ann');
    bob = await h.as('bob');
    admin = await h.as('root', { admin: true });
    await bob.workers.me.query();
    await ann.projects.create.mutate({ slug: 'keyset', name: 'Keyset' });
    await ann.projects.addMember.mutate({ slug: 'keyset', worker_id: 'bob' });
    // Repeated titles, priorities and due dates, and a third without a due date: ties
    // and nulls are where a keyset goes wrong.
    for (let i = 0; i < 36; i++) {
      const task = await ann.tasks.create.mutate({
        project_slug: 'keyset',
        title: `Task ${i % 5}`,
        priority: TASK_PRIORITIES[i % TASK_PRIORITIES.length],
        ...(i % 3 !== 0 && { due_date: `2027-0${1 + (i % 4)}-1${i % 2}` }),
      });
      before.push(task.id);
    }
  });
  afterAll(() => h.stop());

  let added = 0;
  /** Another client adds a task (with or without a due date) while a walk is under way. */
  const insertConcurrently = () =>
    bob.tasks.create.mutate({
      project_slug: 'keyset',
      title: `Task ${added % 5}`,
      ...(added++ % 2 === 0 && { due_date: '2027-02-10' }),
    });

  const SORTS: TaskSortField[] = ['created_at', 'updated_at', 'due_date', 'priority', 'title'];
  for (const sort_by of SORTS) {
    for (const sort_order of ['asc', 'desc'] as const) {
      it(`tasks.list by ${sort_by} ${sort_order}: every row once under concurrent inserts`, async () => {
        const seen: number[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const [page] = await Promise.all([
            ann.tasks.list.query({
              project_slug: 'keyset',
              sort_by,
              sort_order,
              limit: 7,
              ...(cursor && { cursor }),
            }),
            insertConcurrently(),
          ]);
          seen.push(...page.items.map((t) => t.id));
          cursor = page.next_cursor ?? undefined;
          pages++;
        } while (cursor && pages < 50);
        expect(new Set(seen).size).toBe(seen.length);
        for (const id of before) expect(seen).toContain(id);
        expect(pages).toBeGreaterThan(5);
      });
    }
  }

  it('due_date keeps rows without one last, in both directions', async () => {
    for (const sort_order of ['asc', 'desc'] as const) {
      const dues: (string | null)[] = [];
      let cursor: string | undefined;
      do {
        const page = await ann.tasks.list.query({
          project_slug: 'keyset',
          sort_by: 'due_date',
          sort_order,
          limit: 4,
          ...(cursor && { cursor }),
        });
        dues.push(...page.items.map((t) => t.due_date));
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      const firstNull = dues.indexOf(null);
      expect(firstNull).toBeGreaterThan(0);
      expect(dues.slice(firstNull).every((d) => d === null)).toBe(true);
      const dated = dues.slice(0, firstNull) as string[];
      const sorted = [...dated].sort();
      expect(dated).toEqual(sort_order === 'asc' ? sorted : sorted.reverse());
    }
  });

  it('audit.list: a trail that grows while it is read', async () => {
    const task = await ann.tasks.create.mutate({ project_slug: 'keyset', title: 'Audited' });
    await bob.tasks.start.mutate({ id: task.id });
    for (let p = 5; p <= 40; p += 5)
      await bob.tasks.progress.mutate({ id: task.id, percent: p, note: `at ${p}` });
    const existing = (await ann.audit.list.query({ task_id: task.id, limit: 200 })).items.map(
      (e) => e.id,
    );
    const seen: number[] = [];
    let cursor: string | undefined;
    let percent = 41;
    do {
      const [page] = await Promise.all([
        ann.audit.list.query({ task_id: task.id, limit: 3, ...(cursor && { cursor }) }),
        bob.tasks.progress.mutate({ id: task.id, percent: percent++ }),
      ]);
      seen.push(...page.items.map((e) => e.id));
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of existing) expect(seen).toContain(id);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it('projects.list: projects created during the walk, same names', async () => {
    const dana = await h.as('dana');
    for (let i = 0; i < 12; i++)
      await dana.projects.create.mutate({ slug: `p-${i}`, name: `Proj ${i % 3}` });
    const existing = (await dana.projects.list.query({ limit: 100 })).items.map((p) => p.id);
    const seen: number[] = [];
    let cursor: string | undefined;
    let n = 0;
    do {
      const [page] = await Promise.all([
        dana.projects.list.query({ limit: 4, ...(cursor && { cursor }) }),
        dana.projects.create.mutate({ slug: `late-${n}`, name: `Proj ${n++ % 3}` }),
      ]);
      seen.push(...page.items.map((p) => p.id));
      cursor = page.next_cursor ?? undefined;
    } while (cursor && n < 50);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of existing) expect(seen).toContain(id);
  });

  it('workers.list: workers registering during the walk', async () => {
    for (let i = 0; i < 10; i++)
      await (await h.as(`w-${i}`, { name: 'Same Name' })).workers.me.query();
    const existing = (await admin.workers.list.query({ limit: 100 })).items.map((w) => w.id);
    const seen: string[] = [];
    let cursor: string | undefined;
    let n = 0;
    do {
      const newcomer = await h.as(`late-${n++}`, { name: 'Same Name' });
      const [page] = await Promise.all([
        admin.workers.list.query({ limit: 3, ...(cursor && { cursor }) }),
        newcomer.workers.me.query(),
      ]);
      seen.push(...page.items.map((w) => w.id));
      cursor = page.next_cursor ?? undefined;
    } while (cursor && n < 60);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of existing) expect(seen).toContain(id);
  });

  it('refuses a malformed, tampered or foreign cursor with 400', async () => {
    const page = await ann.tasks.list.query({ project_slug: 'keyset', limit: 2 });
    const cursor = page.next_cursor as string;
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    const payload = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    const tampered = (change: Record<string, unknown>) =>
      Buffer.from(JSON.stringify({ ...payload, ...change })).toString('base64url');
    const refusals = [
      () => ann.tasks.list.query({ project_slug: 'keyset', cursor: 'not-a-cursor' }),
      () => ann.tasks.list.query({ project_slug: 'keyset', cursor: 'a!b' }),
      () => ann.tasks.list.query({ project_slug: 'keyset', cursor: tampered({ i: 'x' }) }),
      () => ann.tasks.list.query({ project_slug: 'keyset', cursor: tampered({ v: null }) }),
      () =>
        ann.tasks.list.query({ project_slug: 'keyset', cursor: tampered({ f: 'A'.repeat(16) }) }),
      () => ann.tasks.list.query({ project_slug: 'keyset', cursor: tampered({ extra: 1 }) }),
      // The same cursor with another filter or sort.
      () => ann.tasks.list.query({ project_slug: 'keyset', status: 'pending', cursor }),
      () => ann.tasks.list.query({ project_slug: 'keyset', sort_by: 'title', cursor }),
      () => ann.tasks.list.query({ project_slug: 'keyset', sort_order: 'asc', cursor }),
      () => ann.tasks.list.query({ cursor }),
      // Cursor and offset together.
      () => ann.tasks.list.query({ project_slug: 'keyset', offset: 2, cursor }),
      // A tasks cursor on another list.
      () => ann.projects.list.query({ cursor }),
    ];
    for (const refused of refusals) {
      const f = await failure(refused());
      expect(f.httpStatus).toBe(400);
    }
    // The limit is not part of the list's identity: another page size may follow on.
    const next = await ann.tasks.list.query({ project_slug: 'keyset', limit: 5, cursor });
    expect(next.items.map((t) => t.id)).not.toContain(page.items[0]?.id);
  });

  it('refuses a cursor whose sort value PostgreSQL never printed, with the cursor message', async () => {
    // The fingerprint is no secret: a client can rebuild a cursor around any value.
    const forge = (sortBy: 'created_at' | 'priority' | 'title' | 'due_date', v: unknown) => {
      const filters = { project_slug: 'keyset', sort_by: sortBy, sort_order: 'desc' as const };
      return ann.tasks.list
        .query({ ...filters, limit: 1 })
        .then((page) => JSON.parse(Buffer.from(page.next_cursor as string, 'base64url').toString()))
        .then((payload) =>
          ann.tasks.list.query({
            ...filters,
            cursor: Buffer.from(JSON.stringify({ ...payload, v })).toString('base64url'),
          }),
        );
    };
    for (const [sortBy, v] of [
      ['created_at', 'yesterday'],
      ['created_at', 'now'],
      ['created_at', '2027-13-45'],
      ['due_date', 'tomorrow'],
      ['priority', '99999999'],
      ['priority', 'high'],
      ['title', 'a\u0000b'],
    ] as const) {
      const f = await failure(forge(sortBy, v));
      expect(f.httpStatus, `${sortBy}=${v}`).toBe(400);
      expect(f.message, `${sortBy}=${v}`).toMatch(/cursor is malformed/);
    }
    // What PostgreSQL prints is still taken, an infinity included.
    const page = await forge('created_at', 'infinity');
    expect(page.items.length).toBeGreaterThan(0);
  });

  it('offset still works as a fallback', async () => {
    const all = (await ann.tasks.list.query({ project_slug: 'keyset', limit: 10 })).items;
    const skipped = await ann.tasks.list.query({ project_slug: 'keyset', limit: 5, offset: 5 });
    expect(skipped.items.map((t) => t.id)).toEqual(all.slice(5).map((t) => t.id));
    expect(skipped.next_cursor).toEqual(expect.any(String));
    // A null cursor (where TanStack's infinite queries start) is the first page.
    const fromNull = await ann.tasks.list.query({
      project_slug: 'keyset',
      limit: 10,
      cursor: null,
    });
    expect(fromNull.items.map((t) => t.id)).toEqual(all.map((t) => t.id));
  });

  describe('REST', () => {
    let token: string;
    const get = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${h.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}`, ...headers } });
    beforeAll(async () => {
      token = await h.issuer.token('ann', { name: 'ann' });
    });

    it('sends plain arrays, with Link and X-Next-Cursor while more follow', async () => {
      const seen: number[] = [];
      let path: string | undefined = '/api/tasks?project=keyset&sort_by=due_date&limit=9';
      let pages = 0;
      while (path) {
        const res = await get(path);
        expect(res.status).toBe(200);
        const body = (await res.json()) as { id: number }[];
        expect(Array.isArray(body)).toBe(true);
        seen.push(...body.map((t) => t.id));
        const link = res.headers.get('link');
        const next = res.headers.get('x-next-cursor');
        if (link) {
          expect(next).toEqual(expect.any(String));
          const m = /^<([^>]+)>; rel="next"$/.exec(link);
          expect(m?.[1]).toContain(`cursor=${next}`);
          expect(m?.[1]).toContain('project=keyset');
          path = m?.[1];
        } else {
          expect(next).toBeNull();
          path = undefined;
        }
        pages++;
      }
      expect(pages).toBeGreaterThan(3);
      expect(new Set(seen).size).toBe(seen.length);
      for (const id of before) expect(seen).toContain(id);
    });

    it('pages audit, projects and workers the same way', async () => {
      for (const path of [
        `/api/tasks/${before[0]}/audit?limit=1`,
        '/api/projects?limit=1',
        '/api/workers?limit=1',
      ]) {
        await ann.tasks.update.mutate({ id: before[0] as number, title: 'Renamed' });
        await ann.projects.create.mutate({ slug: `rest-${path.length}`, name: 'Rest' });
        const res = await get(path);
        expect(res.status).toBe(200);
        expect(res.headers.get('x-next-cursor')).toEqual(expect.any(String));
        const second = await get(/^<([^>]+)>/.exec(res.headers.get('link') ?? '')?.[1] ?? '');
        expect(second.status).toBe(200);
        expect(await second.json()).toHaveLength(1);
      }
    });

    it('refuses bad cursors and cursor with offset with 400', async () => {
      const first = await get('/api/tasks?project=keyset&limit=2');
      const cursor = first.headers.get('x-next-cursor') as string;
      for (const path of [
        '/api/tasks?cursor=bogus',
        `/api/tasks?project=keyset&status=pending&cursor=${cursor}`,
        `/api/tasks?project=keyset&offset=3&cursor=${cursor}`,
        `/api/projects?cursor=${cursor}`,
      ]) {
        const res = await get(path);
        expect(res.status).toBe(400);
        expect(res.headers.get('link')).toBeNull();
      }
    });

    it('documents cursor, Link and X-Next-Cursor in the OpenAPI document', async () => {
      const doc = (await (await fetch(`${h.baseUrl}/openapi.json`)).json()) as {
        paths: Record<
          string,
          {
            get: {
              parameters: { name: string }[];
              responses: Record<string, { headers?: Record<string, unknown> }>;
            };
          }
        >;
      };
      for (const path of ['/api/tasks', '/api/tasks/{id}/audit', '/api/projects', '/api/workers']) {
        const get = doc.paths[path]?.get;
        expect(get?.parameters.map((p) => p.name)).toContain('cursor');
        expect(Object.keys(get?.responses['200']?.headers ?? {})).toEqual(
          expect.arrayContaining(['Link', 'X-Next-Cursor']),
        );
      }
    });

    it('exposes Link and X-Next-Cursor to browsers', async () => {
      const res = await get('/api/tasks?limit=1', { origin: 'http://localhost:3000' });
      const exposed = (res.headers.get('access-control-expose-headers') ?? '').toLowerCase();
      expect(exposed).toContain('link');
      expect(exposed).toContain('x-next-cursor');
    });
  });
});

import type { ErrorBody, Task } from '@taskflow/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, failure, type Harness, startHarness } from './helpers/harness';
import { restClient } from './helpers/rest';

describe('task dependencies', () => {
  let h: Harness;
  let owner: Client;
  let member: Client;
  let rest: ReturnType<typeof restClient>;
  let ownerToken: string;

  const create = (title: string, project_slug = 'deps') =>
    owner.tasks.create.mutate({ title, project_slug });

  beforeAll(async () => {
    // Enough connections for the concurrent adds to run side by side.
    h = await startHarness({ maxConnections: 30 });
    owner = await h.as('owner');
    member = await h.as('member');
    await member.workers.me.query();
    await owner.projects.create.mutate({ slug: 'deps', name: 'Dependencies' });
    await owner.projects.create.mutate({ slug: 'elsewhere', name: 'Elsewhere' });
    await owner.projects.addMember.mutate({ slug: 'deps', worker_id: 'member' });
    rest = restClient(h.baseUrl);
    ownerToken = await h.issuer.token('owner', { name: 'owner' });
  });
  afterAll(() => h.stop());

  it('adds and removes over tRPC: blocked_by and blocks on both tasks, new versions, idempotent', async () => {
    const a = await create('Ship');
    const b = await create('Build');
    expect(a).toMatchObject({ blocked_by: [], blocks: [] });

    const added = await owner.tasks.addDependency.mutate({ id: a.id, depends_on_id: b.id });
    expect(added).toMatchObject({
      id: a.id,
      blocked_by: [b.id],
      blocks: [],
      waiting_for: [b.id],
      version: 2,
    });
    expect(await owner.tasks.get.query({ id: b.id })).toMatchObject({
      blocked_by: [],
      blocks: [a.id],
      version: 2,
    });
    const listed = (await owner.tasks.list.query({ project_slug: 'deps' })).items;
    expect(listed.find((t) => t.id === a.id)?.blocked_by).toEqual([b.id]);
    expect(listed.find((t) => t.id === b.id)?.blocks).toEqual([a.id]);

    // The same edge again changes nothing: no new version, no second audit row.
    const again = await owner.tasks.addDependency.mutate({ id: a.id, depends_on_id: b.id });
    expect(again).toMatchObject({ blocked_by: [b.id], version: 2 });

    const removed = await owner.tasks.removeDependency.mutate({ id: a.id, depends_on_id: b.id });
    expect(removed).toMatchObject({ blocked_by: [], version: 3 });
    expect((await owner.tasks.get.query({ id: b.id })).blocks).toEqual([]);
    const noop = await owner.tasks.removeDependency.mutate({ id: a.id, depends_on_id: b.id });
    expect(noop.version).toBe(3);

    const audit = (await owner.audit.list.query({ task_id: a.id })).items;
    const changes = audit.filter((e) => e.action.startsWith('dependency_'));
    expect(changes.map((e) => [e.action, e.actor_id, e.context.depends_on_id])).toEqual([
      ['dependency_added', 'owner', b.id],
      ['dependency_removed', 'owner', b.id],
    ]);
  });

  it('adds and removes over REST, with the ETag of the new version', async () => {
    const a = await create('REST dependent');
    const b = await create('REST dependency');
    const added = await rest<Task>('POST', `/api/tasks/${a.id}/dependencies`, {
      token: ownerToken,
      body: { depends_on_id: b.id },
    });
    expect(added.status).toBe(200);
    expect(added.body).toMatchObject({ id: a.id, blocked_by: [b.id] });
    expect(added.headers.get('etag')).toBe(`"${added.body.version}"`);

    // A stale If-Match is refused with 412, and nothing changes.
    const stale = await rest<ErrorBody>('DELETE', `/api/tasks/${a.id}/dependencies/${b.id}`, {
      token: ownerToken,
      headers: { 'if-match': '"1"' },
    });
    expect(stale.status).toBe(412);

    const removed = await rest<Task>('DELETE', `/api/tasks/${a.id}/dependencies/${b.id}`, {
      token: ownerToken,
      headers: { 'if-match': `"${added.body.version}"` },
    });
    expect(removed.status).toBe(200);
    expect(removed.body.blocked_by).toEqual([]);

    const anonymous = await rest('POST', `/api/tasks/${a.id}/dependencies`, {
      body: { depends_on_id: b.id },
    });
    expect(anonymous.status).toBe(401);
  });

  it('refuses a cycle (itself, direct, three long) and a task of another project with 422', async () => {
    const [a, b, c] = [await create('A'), await create('B'), await create('C')];
    const self = await failure(owner.tasks.addDependency.mutate({ id: a.id, depends_on_id: a.id }));
    expect(self).toMatchObject({
      httpStatus: 422,
      message: `Task ${a.id} cannot depend on itself`,
    });

    await owner.tasks.addDependency.mutate({ id: a.id, depends_on_id: b.id });
    const direct = await failure(
      owner.tasks.addDependency.mutate({ id: b.id, depends_on_id: a.id }),
    );
    expect(direct.httpStatus).toBe(422);
    expect(direct.message).toContain('would be a cycle');

    await owner.tasks.addDependency.mutate({ id: b.id, depends_on_id: c.id });
    const long = await rest<ErrorBody>('POST', `/api/tasks/${c.id}/dependencies`, {
      token: ownerToken,
      body: { depends_on_id: a.id },
    });
    expect(long.status).toBe(422);
    expect(long.body.error).toContain(`Task ${a.id} already waits for task ${c.id}`);

    const foreign = await create('Foreign', 'elsewhere');
    const cross = await failure(
      owner.tasks.addDependency.mutate({ id: a.id, depends_on_id: foreign.id }),
    );
    expect(cross).toMatchObject({
      httpStatus: 422,
      message: `depends_on_id ${foreign.id} does not name a task of project 'deps'`,
    });
    const missing = await failure(
      owner.tasks.addDependency.mutate({ id: a.id, depends_on_id: 999_999 }),
    );
    expect(missing.httpStatus).toBe(422);
    expect((await owner.tasks.get.query({ id: c.id })).blocked_by).toEqual([]);
  });

  it('lets only those who may edit the task change its dependencies', async () => {
    const a = await create('Owned');
    const b = await create('Other');
    const refused = await failure(
      member.tasks.addDependency.mutate({ id: a.id, depends_on_id: b.id }),
    );
    expect(refused.httpStatus).toBe(403);
    await owner.tasks.assign.mutate({ id: a.id, worker_id: 'member' });
    const allowed = await member.tasks.addDependency.mutate({ id: a.id, depends_on_id: b.id });
    expect(allowed.blocked_by).toEqual([b.id]);
    const outsider = await h.as('outsider');
    const hidden = await failure(
      outsider.tasks.removeDependency.mutate({ id: a.id, depends_on_id: b.id }),
    );
    expect(hidden.httpStatus).toBe(404);
  });

  it('refuses to start a task with unfinished dependencies (409 naming them) until they are completed', async () => {
    const task = await create('Deploy');
    const first = await create('Migrate');
    const second = await create('Test');
    await owner.tasks.addDependency.mutate({ id: task.id, depends_on_id: first.id });
    await owner.tasks.addDependency.mutate({ id: task.id, depends_on_id: second.id });

    const blockedCall = owner.tasks.start.mutate({ id: task.id });
    const blocked = await failure(blockedCall);
    expect(blocked.httpStatus).toBe(409);
    // The blockers also come as data a client can act on.
    const data = await blockedCall.catch((e: { data?: { details?: unknown } }) => e.data?.details);
    expect(data).toEqual({
      blocked_by: [
        { id: first.id, title: 'Migrate', status: 'pending' },
        { id: second.id, title: 'Test', status: 'pending' },
      ],
    });
    expect(blocked.message).toBe(
      `Task ${task.id} waits for unfinished tasks ${first.id} "Migrate" (pending), ${second.id} "Test" (pending): complete them first`,
    );

    await owner.tasks.start.mutate({ id: first.id });
    await owner.tasks.complete.mutate({ id: first.id });
    const still = await rest<ErrorBody>('POST', `/api/tasks/${task.id}/start`, {
      token: ownerToken,
    });
    expect(still.status).toBe(409);
    expect(still.body.details).toEqual({
      blocked_by: [{ id: second.id, title: 'Test', status: 'pending' }],
    });
    expect(still.body.error).toBe(
      `Task ${task.id} waits for unfinished task ${second.id} "Test" (pending): complete it first`,
    );

    const before = await owner.tasks.get.query({ id: task.id });
    expect(before.waiting_for).toEqual([second.id]);
    await owner.tasks.start.mutate({ id: second.id });
    await owner.tasks.complete.mutate({ id: second.id });
    // Completing a dependency changes what the waiting task reads as: it gets a new version.
    const after = await owner.tasks.get.query({ id: task.id });
    expect(after).toMatchObject({
      blocked_by: [first.id, second.id],
      waiting_for: [],
      version: before.version + 1,
    });
    const started = await owner.tasks.start.mutate({ id: task.id });
    expect(started.status).toBe('in_progress');
  });

  it('filters ready tasks: pending with every dependency completed', async () => {
    await owner.projects.create.mutate({ slug: 'ready', name: 'Ready' });
    const mk = (title: string) => owner.tasks.create.mutate({ title, project_slug: 'ready' });
    const free = await mk('Free');
    const waiting = await mk('Waiting');
    const done = await mk('Done');
    const unblocked = await mk('Unblocked');
    const running = await mk('Running');
    await owner.tasks.addDependency.mutate({ id: waiting.id, depends_on_id: free.id });
    await owner.tasks.addDependency.mutate({ id: unblocked.id, depends_on_id: done.id });
    await owner.tasks.start.mutate({ id: done.id });
    await owner.tasks.complete.mutate({ id: done.id });
    await owner.tasks.start.mutate({ id: running.id });

    const ids = (tasks: Task[]) => tasks.map((t) => t.id).sort((x, y) => x - y);
    const ready = (await owner.tasks.list.query({ project_slug: 'ready', ready: true })).items;
    expect(ids(ready)).toEqual([free.id, unblocked.id]);
    const notReady = (await owner.tasks.list.query({ project_slug: 'ready', ready: false })).items;
    expect(ids(notReady)).toEqual([waiting.id, done.id, running.id].sort((x, y) => x - y));

    const overRest = await rest<Task[]>('GET', '/api/tasks?project=ready&ready=true', {
      token: ownerToken,
    });
    expect(overRest.status).toBe(200);
    expect(ids(overRest.body)).toEqual([free.id, unblocked.id]);
  });

  it('deleting a task drops its edges and gives the tasks at their other ends a new version', async () => {
    const a = await create('Keeps');
    const b = await create('Goes');
    const withEdge = await owner.tasks.addDependency.mutate({ id: a.id, depends_on_id: b.id });
    await owner.tasks.delete.mutate({ id: b.id });
    const after = await owner.tasks.get.query({ id: a.id });
    expect(after.blocked_by).toEqual([]);
    expect(after.version).toBe(withEdge.version + 1);
  });

  it('of concurrent A→B and B→A exactly one lands, every time', async () => {
    for (let round = 0; round < 8; round++) {
      const a = await create(`Race A${round}`);
      const b = await create(`Race B${round}`);
      const results = await Promise.allSettled([
        owner.tasks.addDependency.mutate({ id: a.id, depends_on_id: b.id }),
        owner.tasks.addDependency.mutate({ id: b.id, depends_on_id: a.id }),
      ]);
      const wins = results.filter((r) => r.status === 'fulfilled');
      expect(wins).toHaveLength(1);
      const loss = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect((await failure(Promise.reject(loss?.reason))).httpStatus).toBe(422);
      const edges = await h.database.db
        .selectFrom('task_dependencies')
        .select(['task_id', 'depends_on_id'])
        .where('task_id', 'in', [a.id, b.id])
        .execute();
      expect(edges).toHaveLength(1);
    }
  });

  it('two concurrent adds on four different tasks cannot close a loop (B→C and D→A exist; A→B with C→D)', async () => {
    for (let round = 0; round < 5; round++) {
      const [a, b, c, d] = [
        await create(`Loop A${round}`),
        await create(`Loop B${round}`),
        await create(`Loop C${round}`),
        await create(`Loop D${round}`),
      ];
      await owner.tasks.addDependency.mutate({ id: b.id, depends_on_id: c.id });
      await owner.tasks.addDependency.mutate({ id: d.id, depends_on_id: a.id });
      const results = await Promise.allSettled([
        owner.tasks.addDependency.mutate({ id: a.id, depends_on_id: b.id }),
        owner.tasks.addDependency.mutate({ id: c.id, depends_on_id: d.id }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    }
  });
});

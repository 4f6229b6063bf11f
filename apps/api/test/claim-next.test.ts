import { LEASE, type Task } from '@taskflow/contracts';
import { sql } from '@taskflow/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, failure, type Harness, makeClient, startHarness } from './helpers/harness';
import { restClient } from './helpers/rest';

/** Seconds from now until the task's lease lapses. */
const leaseLeft = (task: Task) => (Date.parse(task.lease_expires_at ?? '') - Date.now()) / 1000;

describe('claim-next, leases and heartbeats', () => {
  let h: Harness;
  let owner: Client;
  let bot1: Client;
  let bot2: Client;
  let other: Client;
  /** A second API on the same database, sweeping too. */
  let second: Client;
  let projects = 0;

  /** A fresh project with every member in it, so tests don't see each other's tasks. */
  async function project(options: { default_lease_seconds?: number } = {}): Promise<string> {
    const slug = `q${++projects}`;
    await owner.projects.create.mutate({ slug, name: slug, ...options });
    for (const id of ['bot-1', 'bot-2', 'other-1'])
      await owner.projects.addMember.mutate({ slug, worker_id: id });
    return slug;
  }

  beforeAll(async () => {
    // Both APIs sweep every 100 ms: an expired lease is picked up at once, by either of them.
    h = await startHarness({ leaseSweepIntervalMs: 100 });
    owner = await h.as('owner-1');
    bot1 = await h.as('bot-1');
    bot2 = await h.as('bot-2');
    other = await h.as('other-1');
    const admin = await h.as('root', { admin: true });
    for (const c of [owner, bot1, bot2, other]) await c.workers.me.query();
    for (const id of ['bot-1', 'bot-2'])
      await admin.workers.upsert.mutate({ id, type: 'agent', name: id });
    const { baseUrl } = await h.startApp({ leaseSweepIntervalMs: 100 });
    second = makeClient(baseUrl, await h.issuer.token('bot-2', { name: 'bot-2' }));
  });
  afterAll(() => h.stop());

  it('takes the highest priority first, then the oldest, and audits it as a start', async () => {
    const slug = await project();
    const make = (title: string, priority: Task['priority']) =>
      owner.tasks.create.mutate({ title, priority, project_slug: slug });
    await make('low', 'low');
    const critOld = await make('critical, older', 'critical');
    await make('high', 'high');
    await make('critical, newer', 'critical');

    const order: string[] = [];
    for (let i = 0; i < 4; i++) {
      const task = await bot1.tasks.claimNext.mutate({ project_slug: slug });
      order.push(task?.title ?? 'none');
    }
    expect(order).toEqual(['critical, older', 'critical, newer', 'high', 'low']);
    expect(await bot1.tasks.claimNext.mutate({ project_slug: slug })).toBeNull();

    const claimed = await bot1.tasks.get.query({ id: critOld.id });
    expect(claimed).toMatchObject({ status: 'in_progress', assigned_to: 'bot-1', claim_epoch: 1 });
    // The server's default lease: 15 minutes.
    expect(leaseLeft(claimed)).toBeGreaterThan(LEASE.defaultSeconds - 30);
    expect(leaseLeft(claimed)).toBeLessThanOrEqual(LEASE.defaultSeconds + 1);
    const trail = (await owner.audit.list.query({ task_id: critOld.id })).items;
    expect(trail.map((e) => [e.action, e.actor_id, e.actor_type])).toEqual([
      ['created', 'owner-1', 'human'],
      ['started', 'bot-1', 'agent'],
    ]);
    expect(trail[1]?.context).toMatchObject({ from: 'pending', to: 'in_progress' });
  });

  it('answers null over tRPC and 204 over REST when nothing is ready; 200 with the task when something is', async () => {
    const slug = await project();
    const rest = restClient(h.baseUrl);
    const token = await h.issuer.token('bot-1', { name: 'bot-1' });
    expect(await bot1.tasks.claimNext.mutate({ project_slug: slug })).toBeNull();
    const none = await rest('POST', '/api/tasks/claim-next', {
      token,
      body: { project_slug: slug },
    });
    expect(none.status).toBe(204);
    expect(none.body).toBeUndefined();
    // No body at all is fine too: every filter is optional.
    const bare = await rest('POST', '/api/tasks/claim-next', { token });
    expect([200, 204]).toContain(bare.status);

    const { id } = await owner.tasks.create.mutate({ title: 'Ready', project_slug: slug });
    const got = await rest<Task>('POST', '/api/tasks/claim-next', {
      token,
      body: { project_slug: slug, lease_seconds: 120 },
    });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id, status: 'in_progress', assigned_to: 'bot-1' });
    // Claimed: the ETag says the version and the lease's end (see the heartbeat test).
    expect(got.headers.get('etag')).toMatch(new RegExp(`^"${got.body.version}-[0-9a-z]+"$`));
    expect(leaseLeft(got.body)).toBeGreaterThan(100);
    expect(leaseLeft(got.body)).toBeLessThanOrEqual(121);

    const invalid = await rest<{ status_code: number }>('POST', '/api/tasks/claim-next', {
      token,
      body: { lease_seconds: 5 },
    });
    expect(invalid.status).toBe(400);
    const anonymous = await rest('POST', '/api/tasks/claim-next', {});
    expect(anonymous.status).toBe(401);
  });

  it('filters by project, tags (all of them), minimum priority, and mine-or-unassigned', async () => {
    const a = await project();
    const b = await project();
    const make = (
      slug: string,
      title: string,
      extra: { priority?: Task['priority']; tags?: string[]; assigned_to?: string } = {},
    ) => owner.tasks.create.mutate({ title, project_slug: slug, ...extra });
    await make(b, 'in b', { priority: 'critical' });
    await make(a, 'one tag', { tags: ['db'], priority: 'high' });
    await make(a, 'both tags', { tags: ['db', 'urgent'] });
    await make(a, 'low', { priority: 'low' });
    await make(a, "other's", { assigned_to: 'other-1', priority: 'critical' });
    await make(a, 'mine', { assigned_to: 'bot-2', priority: 'medium' });

    const claim = async (
      client: Client,
      input: Parameters<Client['tasks']['claimNext']['mutate']>[0],
    ) => (await client.tasks.claimNext.mutate(input))?.title ?? null;

    expect(await claim(bot1, { project_slug: a, tags: ['db', 'urgent'] })).toBe('both tags');
    expect(await claim(bot1, { project_slug: a, tags: ['urgent'] })).toBeNull();
    expect(await claim(bot1, { project_slug: a, min_priority: 'critical' })).toBeNull();
    expect(await claim(bot1, { project_slug: a, min_priority: 'high' })).toBe('one tag');
    // "mine" is bot-2's: bot-1 passes it by, bot-2 gets it before the older but lower "low".
    expect(await claim(bot1, { project_slug: a, min_priority: 'medium' })).toBeNull();
    expect(await claim(bot2, { project_slug: a, tags: [] })).toBe('mine');
    expect(await claim(bot1, { project_slug: a })).toBe('low');
    // Only "other's" is left: taken only when asked to take others' tasks too.
    expect(await claim(bot1, { project_slug: a })).toBeNull();
    expect(await claim(bot1, { project_slug: a, mine_or_unassigned: false })).toBe("other's");
    const trail = (
      await owner.audit.list.query({
        task_id:
          (await owner.tasks.list.query({ project_slug: a, q: "other's" })).items[0]?.id ?? 0,
      })
    ).items;
    expect(trail.at(-1)?.context).toMatchObject({ previous_assignee: 'other-1' });
    expect(await claim(bot1, { project_slug: b })).toBe('in b');
    // A project the caller is not in (or that does not exist) is 404, not an endless "nothing ready".
    const outsider = await h.as('outsider');
    expect(await failure(outsider.tasks.claimNext.mutate({ project_slug: a }))).toMatchObject({
      code: 'NOT_FOUND',
      httpStatus: 404,
    });
    expect(await outsider.tasks.claimNext.mutate({})).toBeNull();
  });

  it("takes the lease from the claim, else the project's default, else the server's", async () => {
    const slug = await project({ default_lease_seconds: 300 });
    expect((await owner.projects.get.query({ slug })).default_lease_seconds).toBe(300);
    for (let i = 0; i < 3; i++)
      await owner.tasks.create.mutate({ title: `t${i}`, project_slug: slug });

    const byProject = await bot1.tasks.claimNext.mutate({ project_slug: slug });
    expect(leaseLeft(byProject as Task)).toBeGreaterThan(280);
    expect(leaseLeft(byProject as Task)).toBeLessThanOrEqual(301);
    const byClaim = await bot1.tasks.claimNext.mutate({ project_slug: slug, lease_seconds: 60 });
    expect(leaseLeft(byClaim as Task)).toBeLessThanOrEqual(61);

    const reset = await owner.projects.update.mutate({ slug, default_lease_seconds: null });
    expect(reset.default_lease_seconds).toBeNull();
    const byServer = await bot1.tasks.claimNext.mutate({ project_slug: slug });
    expect(leaseLeft(byServer as Task)).toBeGreaterThan(LEASE.defaultSeconds - 30);

    // start takes lease_seconds too.
    const started = await owner.tasks.create.mutate({ title: 'by id', project_slug: slug });
    const s = await bot2.tasks.start.mutate({ id: started.id, lease_seconds: 45 });
    expect(leaseLeft(s)).toBeLessThanOrEqual(46);
    expect(s.claim_epoch).toBe(1);
    expect(
      (await failure(owner.projects.update.mutate({ slug, default_lease_seconds: 86_401 })))
        .httpStatus,
    ).toBe(400);
  });

  it('heartbeats extend only the holder’s lease, without a new version or audit row', async () => {
    const slug = await project();
    const { id } = await owner.tasks.create.mutate({ title: 'long job', project_slug: slug });
    const claimed = (await bot1.tasks.claimNext.mutate({
      project_slug: slug,
      lease_seconds: 30,
    })) as Task;
    expect(leaseLeft(claimed)).toBeLessThanOrEqual(31);

    const beat = await bot1.tasks.heartbeat.mutate({
      id,
      claim_epoch: claimed.claim_epoch,
      lease_seconds: 600,
    });
    expect(leaseLeft(beat)).toBeGreaterThan(590);
    expect(beat.version).toBe(claimed.version);
    // The next heartbeat keeps the claim's new length.
    const again = await bot1.tasks.heartbeat.mutate({ id });
    expect(leaseLeft(again)).toBeGreaterThan(590);

    expect(await failure(bot2.tasks.heartbeat.mutate({ id }))).toMatchObject({ httpStatus: 403 });
    expect(
      await failure(bot1.tasks.heartbeat.mutate({ id, claim_epoch: claimed.claim_epoch + 1 })),
    ).toMatchObject({ httpStatus: 409 });

    // A progress report extends it as well (back to the claim's 600 s after a shorter one).
    await bot1.tasks.heartbeat.mutate({ id, lease_seconds: 20 });
    const progressed = await bot1.tasks.progress.mutate({ id, percent: 40 });
    expect(leaseLeft(progressed)).toBeGreaterThan(10);
    expect(leaseLeft(progressed)).toBeLessThanOrEqual(21);

    // Leaving in_progress ends the lease; a heartbeat then has nothing to extend.
    const reviewed = await bot1.tasks.submitForReview.mutate({ id });
    expect(reviewed.lease_expires_at).toBeNull();
    expect(await failure(bot1.tasks.heartbeat.mutate({ id }))).toMatchObject({ httpStatus: 409 });

    // Sent back from review, it is in progress again: under a lease from now (the claim's
    // last length, 20 s), the same epoch, so the sweeper can still return it if bot-1 is gone.
    const returned = await owner.tasks.requestChanges.mutate({ id, note: 'tests fail' });
    expect(returned).toMatchObject({ status: 'in_progress', claim_epoch: claimed.claim_epoch });
    expect(leaseLeft(returned)).toBeGreaterThan(10);
    expect(leaseLeft(returned)).toBeLessThanOrEqual(21);
    await bot1.tasks.submitForReview.mutate({ id });

    const trail = (await owner.audit.list.query({ task_id: id })).items;
    expect(trail.map((e) => e.action)).toEqual([
      'created',
      'started',
      'progress',
      'submitted_for_review',
      'changes_requested',
      'submitted_for_review',
    ]);

    const rest = restClient(h.baseUrl);
    const token = await h.issuer.token('bot-1', { name: 'bot-1' });
    const viaRest = await rest('POST', `/api/tasks/${id}/heartbeat`, { token, body: {} });
    expect(viaRest.status).toBe(409);
  });

  it('gives a heartbeat a new ETag but not a new version: caches revalidate, If-Match still holds', async () => {
    const slug = await project();
    const rest = restClient(h.baseUrl);
    const token = await h.issuer.token('bot-1', { name: 'bot-1' });
    const { id } = await owner.tasks.create.mutate({ title: 'cached', project_slug: slug });
    const unclaimed = await rest<Task>('GET', `/api/tasks/${id}`, { token });
    expect(unclaimed.headers.get('etag')).toBe(`"${unclaimed.body.version}"`);
    await bot1.tasks.start.mutate({ id, lease_seconds: 60 });
    const before = await rest<Task>('GET', `/api/tasks/${id}`, { token });
    const etag = before.headers.get('etag') ?? '';
    const same = await rest('GET', `/api/tasks/${id}`, {
      token,
      headers: { 'if-none-match': etag },
    });
    expect(same.status).toBe(304);

    await bot1.tasks.heartbeat.mutate({ id, lease_seconds: 600 });
    const after = await rest<Task>('GET', `/api/tasks/${id}`, {
      token,
      headers: { 'if-none-match': etag },
    });
    expect(after.status).toBe(200);
    expect(after.body.version).toBe(before.body.version);
    expect(after.headers.get('etag')).not.toBe(etag);
    expect(leaseLeft(after.body)).toBeGreaterThan(590);
    // The edit was conditional on the version read, which a heartbeat does not change.
    const edited = await rest<Task>('PATCH', `/api/tasks/${id}`, {
      token,
      headers: { 'if-match': etag },
      body: { description: 'still mine' },
    });
    expect(edited.status).toBe(200);
    const stale = await rest('PATCH', `/api/tasks/${id}`, {
      token,
      headers: { 'if-match': etag },
      body: { description: 'too late' },
    });
    expect(stale.status).toBe(412);
  });

  it('sweeps an expired lease once, as the system, and refuses the old claim’s moves with 409', async () => {
    const slug = await project();
    const { id } = await owner.tasks.create.mutate({ title: 'crashy', project_slug: slug });
    const first = (await bot1.tasks.claimNext.mutate({
      project_slug: slug,
      lease_seconds: 10,
    })) as Task;
    expect(first.claim_epoch).toBe(1);
    // Ten seconds pass in an instant: the lease is moved into the past, as a crashed agent's would be.
    await sql`update tasks set lease_expires_at = now() - interval '1 second' where id = ${id}`.execute(
      h.database.db,
    );
    const deadline = Date.now() + 5_000;
    let swept = await owner.tasks.get.query({ id });
    while (swept.status !== 'pending' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      swept = await owner.tasks.get.query({ id });
    }
    expect(swept).toMatchObject({
      status: 'pending',
      assigned_to: null,
      lease_expires_at: null,
      claim_epoch: 1,
      version: first.version + 1,
    });
    // Both APIs kept sweeping meanwhile; still exactly one row.
    await new Promise((r) => setTimeout(r, 400));
    const released = (await owner.audit.list.query({ task_id: id })).items.filter(
      (e) => e.action === 'released',
    );
    expect(released).toHaveLength(1);
    expect(released[0]).toMatchObject({
      actor_id: 'system',
      actor_type: 'system',
      context: {
        reason: 'lease_expired',
        previous_assignee: 'bot-1',
        claim_epoch: 1,
        from: 'in_progress',
        to: 'pending',
      },
    });

    // bot-2 claims it next, through the other API.
    const next = (await second.tasks.claimNext.mutate({ project_slug: slug })) as Task;
    expect(next).toMatchObject({ id, assigned_to: 'bot-2', claim_epoch: 2 });

    // The slow bot-1 comes back with its old claim: refused, and nothing changes.
    const late = await failure(bot1.tasks.complete.mutate({ id, claim_epoch: 1 }));
    expect(late).toMatchObject({ code: 'CONFLICT', httpStatus: 409 });
    expect(late.message).toMatch(/claim_epoch 2, not 1/);
    const rest = restClient(h.baseUrl);
    const token = await h.issuer.token('bot-1', { name: 'bot-1' });
    const lateRest = await rest<{ code: string }>('POST', `/api/tasks/${id}/progress`, {
      token,
      body: { percent: 90, claim_epoch: 1 },
    });
    expect(lateRest.status).toBe(409);
    expect(await failure(bot1.tasks.heartbeat.mutate({ id, claim_epoch: 1 }))).toMatchObject({
      httpStatus: 409,
    });
    expect((await owner.tasks.get.query({ id })).assigned_to).toBe('bot-2');
    // The holder's moves under its epoch land.
    const done = await bot2.tasks.complete.mutate({ id, claim_epoch: 2 });
    expect(done).toMatchObject({ status: 'completed', lease_expires_at: null });
  });
});

import type { AuditEntry, ErrorBody, ProjectDetail, Task, Worker } from '@taskflow/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './helpers/harness';
import { type RestOptions, restClient } from './helpers/rest';

describe('REST over real HTTP', () => {
  let h: Harness;
  let call: ReturnType<typeof restClient>;
  let ann: string;
  let bob: string;
  let eve: string;
  let root: string;

  const as =
    (token: string) =>
    <T = unknown>(method: string, path: string, options: Omit<RestOptions, 'token'> = {}) =>
      call<T>(method, path, { ...options, token });

  beforeAll(async () => {
    h = await startHarness();
    call = restClient(h.baseUrl);
    ann = await h.issuer.token('ann', { name: 'Ann' });
    bob = await h.issuer.token('bob', { name: 'Bob' });
    eve = await h.issuer.token('eve', { name: 'Eve' });
    root = await h.issuer.token('root', { role: 'admin' });
    for (const t of [ann, bob, eve, root])
      expect((await as(t)('GET', '/api/workers/me')).status).toBe(200);
  });
  afterAll(() => h.stop());

  function expectError(
    res: { status: number; body: unknown },
    status: number,
    code: string,
  ): ErrorBody {
    expect(res.status).toBe(status);
    const body = res.body as ErrorBody;
    expect(body).toMatchObject({ status_code: status, code });
    expect(typeof body.error).toBe('string');
    expect(JSON.stringify(body)).not.toMatch(/stack|node_modules|\.ts:\d+/);
    return body;
  }

  describe('authentication', () => {
    it('answers 401 with WWW-Authenticate: Bearer without a token, 200 with a good one', async () => {
      const anonymous = await call('GET', '/api/tasks');
      expectError(anonymous, 401, 'UNAUTHORIZED');
      expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
      expect((anonymous.body as ErrorBody).error).toBe('Missing bearer token');
      expectError(
        await call('GET', '/api/tasks', { headers: { authorization: 'Bearer junk' } }),
        401,
        'UNAUTHORIZED',
      );
      const expired = await h.issuer.token('ann', {}, { expiresIn: -300 });
      expectError(
        await call('POST', '/api/tasks', { token: expired, body: { title: 'x' } }),
        401,
        'UNAUTHORIZED',
      );
      expect((await as(ann)('GET', '/api/tasks')).status).toBe(200);
    });

    it('keeps health public', async () => {
      expect((await call('GET', '/health')).body).toEqual({ status: 'ok' });
      expect((await call('GET', '/api/health/db')).body).toEqual({ status: 'ok', database: 'ok' });
    });
  });

  describe('tasks', () => {
    it('creates with the original design body: 201, Location, ETag, default project', async () => {
      const res = await as(ann)<Task>('POST', '/api/tasks', { body: { title: 'Test Task' } });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        title: 'Test Task',
        status: 'pending',
        priority: 'medium',
        project_slug: 'ann-tasks',
      });
      expect(res.headers.get('location')).toBe(`/api/tasks/${res.body.id}`);
      expect(res.headers.get('etag')).toBe('"1"');
      const got = await as(ann)<Task>('GET', res.headers.get('location') as string);
      expect(got.body).toEqual(res.body);
    });

    it('validates input with per-field issues and stores nothing', async () => {
      const res = await as(ann)('POST', '/api/tasks', {
        body: { title: '', priority: 'urgent', status: 'done' },
      });
      const body = expectError(res, 400, 'BAD_REQUEST');
      expect(body.issues?.map((i) => i.path).sort()).toEqual(['', 'priority', 'title']);
      expectError(await as(ann)('POST', '/api/tasks', { body: '{"title": ' }), 400, 'PARSE_ERROR');
      expectError(await as(ann)('POST', '/api/tasks', { body: '[1]' }), 400, 'BAD_REQUEST');
      expectError(
        await as(ann)('POST', '/api/tasks', {
          body: 'title=x',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      // A JSON object sent as text/plain is still not JSON: "send JSON", not a puzzling 400.
      expectError(
        await as(ann)('POST', '/api/tasks', {
          body: '{"title":"x"}',
          headers: { 'content-type': 'text/plain' },
        }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      const list = await as(ann)<Task[]>('GET', '/api/tasks?q=urgent');
      expect(list.body).toEqual([]);
    });

    it('refuses bodies over 1 MB with 413', async () => {
      const res = await as(ann)('POST', '/api/tasks', {
        body: { title: 'big', description: 'x'.repeat(1_100_000) },
      });
      expectError(res, 413, 'PAYLOAD_TOO_LARGE');
    });

    it('lists with the original query filters and returns a JSON array', async () => {
      await as(ann)('POST', '/api/projects', { body: { slug: 'q-proj', name: 'Q' } });
      const a = (
        await as(ann)<Task>('POST', '/api/tasks', {
          body: { title: 'Alpha', project_slug: 'q-proj', priority: 'high', tags: ['x'] },
        })
      ).body;
      await as(ann)('POST', '/api/tasks', {
        body: { title: 'Beta', project_slug: 'q-proj', parent_id: a.id, due_date: '2027-05-01' },
      });
      await as(ann)('POST', `/api/tasks/${a.id}/start`);

      const titles = async (query: string) =>
        (await as(ann)<Task[]>('GET', `/api/tasks?${query}`)).body.map((t) => t.title);
      expect(await titles('project=q-proj')).toEqual(['Beta', 'Alpha']);
      expect(await titles('project_slug=q-proj&status=in_progress')).toEqual(['Alpha']);
      expect(await titles('project=q-proj&assigned_to=ann')).toEqual(['Alpha']);
      expect(await titles(`project=q-proj&parent_id=${a.id}`)).toEqual(['Beta']);
      expect(await titles('project=q-proj&priority=high')).toEqual(['Alpha']);
      expect(await titles('project=q-proj&tag=x')).toEqual(['Alpha']);
      expect(await titles('project=q-proj&has_due_date=true')).toEqual(['Beta']);
      expect(await titles('project=q-proj&has_due_date=false')).toEqual(['Alpha']);
      expect(await titles('project=q-proj&q=ALP')).toEqual(['Alpha']);
      expect(await titles('project=q-proj&sort_by=title&sort_order=asc')).toEqual([
        'Alpha',
        'Beta',
      ]);
      expect(await titles('project=q-proj&limit=1&offset=1')).toEqual(['Alpha']);
      expectError(await as(ann)('GET', '/api/tasks?limit=500'), 400, 'BAD_REQUEST');
      expectError(await as(ann)('GET', '/api/tasks?status=nope'), 400, 'BAD_REQUEST');
      const unknown = expectError(
        await as(ann)('GET', '/api/tasks?colour=red'),
        400,
        'BAD_REQUEST',
      );
      expect(unknown.error).toMatch(/colour/);
    });

    it('supports ETag / If-Match / If-None-Match on a task', async () => {
      const created = (await as(ann)<Task>('POST', '/api/tasks', { body: { title: 'Etag me' } }))
        .body;
      const path = `/api/tasks/${created.id}`;
      const got = await as(ann)('GET', path);
      expect(got.headers.get('etag')).toBe('"1"');
      expect((await as(ann)('GET', path, { headers: { 'if-none-match': '"1"' } })).status).toBe(
        304,
      );

      const patched = await as(ann)<Task>('PATCH', path, {
        body: { title: 'Etagged' },
        headers: { 'if-match': '"1"' },
      });
      expect(patched.status).toBe(200);
      expect(patched.headers.get('etag')).toBe('"2"');
      const stale = await as(ann)('PATCH', path, {
        body: { title: 'Lost' },
        headers: { 'if-match': '"1"' },
      });
      expectError(stale, 412, 'PRECONDITION_FAILED');
      expect((await as(ann)<Task>('GET', path)).body).toMatchObject({
        title: 'Etagged',
        version: 2,
      });
      // Without If-Match a stale expected_version in the body is a 409, as over tRPC.
      expectError(
        await as(ann)('PATCH', path, { body: { title: 'Lost', expected_version: 1 } }),
        409,
        'CONFLICT',
      );
      expectError(
        await as(ann)('PATCH', path, { body: { title: 'x' }, headers: { 'if-match': 'garbage' } }),
        400,
        'BAD_REQUEST',
      );
      expect((await as(ann)('PATCH', path, { body: { priority: 'low' } })).status).toBe(200);
    });

    it('runs the whole workflow through the original paths, progress by query or body', async () => {
      await as(ann)('POST', '/api/projects', { body: { slug: 'wf', name: 'WF' } });
      expect((await as(ann)('PUT', '/api/projects/wf/members/bob', { body: {} })).status).toBe(200);
      const task = (
        await as(ann)<Task>('POST', '/api/tasks', { body: { title: 'Flow', project_slug: 'wf' } })
      ).body;
      const base = `/api/tasks/${task.id}`;
      const step = async (token: string, path: string, body?: unknown) => {
        const res = await as(token)<Task>(
          'POST',
          `${base}${path}`,
          body === undefined ? {} : { body },
        );
        expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(200);
        return res.body;
      };
      expect(await step(bob, '/start')).toMatchObject({
        status: 'in_progress',
        assigned_to: 'bob',
      });
      expect(await step(bob, '/progress?percent=50&note=x')).toMatchObject({
        progress_percent: 50,
      });
      expect(await step(bob, '/progress', { percent: 70, note: 'body form' })).toMatchObject({
        progress_percent: 70,
      });
      expect(await step(bob, '/review')).toMatchObject({ status: 'review' });
      expect(await step(ann, '/request-changes', { note: 'tests please' })).toMatchObject({
        status: 'in_progress',
      });
      expect(await step(bob, '/block', { reason: 'CI down' })).toMatchObject({ status: 'blocked' });
      expect(await step(bob, '/unblock')).toMatchObject({ status: 'in_progress' });
      expect(await step(bob, '/complete')).toMatchObject({
        status: 'completed',
        progress_percent: 100,
      });
      expect(await step(ann, '/reopen', { note: 'regressed' })).toMatchObject({ status: 'review' });
      expect(await step(ann, '/complete')).toMatchObject({ status: 'completed' });

      const trail = await as(ann)<AuditEntry[]>('GET', `${base}/audit`);
      expect(trail.body.map((e) => e.action)).toEqual([
        'created',
        'started',
        'progress',
        'progress',
        'submitted_for_review',
        'changes_requested',
        'blocked',
        'unblocked',
        'completed',
        'reopened',
        'completed',
      ]);
      expect(trail.body[2]?.context).toMatchObject({ percent: 50, note: 'x' });
      const page = await as(ann)<AuditEntry[]>('GET', `${base}/audit?limit=2&offset=1`);
      expect(page.body.map((e) => e.action)).toEqual(['started', 'progress']);
    });

    it('answers workflow and access errors with the right status', async () => {
      const task = (
        await as(ann)<Task>('POST', '/api/tasks', { body: { title: 'Errors', project_slug: 'wf' } })
      ).body;
      const base = `/api/tasks/${task.id}`;
      const notStarted = expectError(await as(bob)('POST', `${base}/complete`), 409, 'CONFLICT');
      expect(notStarted.error).toBe("Cannot complete task with status 'pending'");
      await as(bob)('POST', `${base}/start`);
      expectError(await as(ann)('POST', `${base}/start`), 409, 'CONFLICT');
      expectError(await as(ann)('POST', `${base}/progress?percent=10`), 403, 'FORBIDDEN');
      expectError(await as(bob)('POST', `${base}/progress?percent=101`), 400, 'BAD_REQUEST');
      expectError(
        await as(bob)('POST', `${base}/request-changes`, { body: {} }),
        400,
        'BAD_REQUEST',
      );
      expectError(
        await as(ann)('POST', `${base}/request-changes`, { body: { note: 'early' } }),
        409,
        'CONFLICT',
      );
      expectError(await as(eve)('GET', base), 404, 'NOT_FOUND');
      expectError(await as(eve)('POST', `${base}/start`), 404, 'NOT_FOUND');
      expectError(await as(ann)('GET', '/api/tasks/999999'), 404, 'NOT_FOUND');
      expectError(await as(ann)('GET', '/api/tasks/abc'), 400, 'BAD_REQUEST');
      expectError(
        await as(ann)('POST', '/api/tasks', {
          body: { title: 'x', project_slug: 'wf', assigned_to: 'eve' },
        }),
        422,
        'UNPROCESSABLE_CONTENT',
      );
      const wrongMethod = expectError(
        await as(ann)('PUT', base, { body: {} }),
        405,
        'METHOD_NOT_SUPPORTED',
      );
      expect(wrongMethod.error).toMatch(/PUT/);
      expectError(await as(ann)('GET', '/api/nothing-here'), 404, 'NOT_FOUND');
    });

    it('assigns and deletes, keeping the trail', async () => {
      const task = (
        await as(ann)<Task>('POST', '/api/tasks', {
          body: { title: 'Assign + delete', project_slug: 'wf' },
        })
      ).body;
      const assigned = await as(ann)<Task>('POST', `/api/tasks/${task.id}/assign`, {
        body: { worker_id: 'bob' },
      });
      expect(assigned.body.assigned_to).toBe('bob');
      expectError(await as(bob)('DELETE', `/api/tasks/${task.id}`), 403, 'FORBIDDEN');
      const deleted = await as(ann)('DELETE', `/api/tasks/${task.id}`);
      expect(deleted).toMatchObject({ status: 200, body: { id: task.id, deleted: true } });
      expectError(await as(ann)('GET', `/api/tasks/${task.id}`), 404, 'NOT_FOUND');
      const trail = await as(ann)<AuditEntry[]>('GET', `/api/tasks/${task.id}/audit`);
      expect(trail.body.map((e) => e.action)).toEqual(['created', 'assigned', 'deleted']);
    });
  });

  describe('projects and workers', () => {
    it('creates, reads, edits projects and manages members', async () => {
      const created = await as(ann)('POST', '/api/projects', {
        body: { slug: 'mars', name: 'Mars' },
      });
      expect(created.status).toBe(201);
      expect(created.headers.get('location')).toBe('/api/projects/mars');
      expectError(
        await as(bob)('POST', '/api/projects', { body: { slug: 'mars', name: 'Again' } }),
        409,
        'CONFLICT',
      );
      expectError(await as(bob)('GET', '/api/projects/mars'), 404, 'NOT_FOUND');
      const added = await as(ann)<ProjectDetail>('PUT', '/api/projects/mars/members/bob', {
        body: { role: 'member' },
      });
      expect(added.body.members.map((m) => m.worker_id)).toEqual(['ann', 'bob']);
      expect((await as(bob)<ProjectDetail>('GET', '/api/projects/mars')).body.role).toBe('member');
      expectError(
        await as(bob)('PATCH', '/api/projects/mars', { body: { name: 'Bob Mars' } }),
        403,
        'FORBIDDEN',
      );
      expect(
        (await as(ann)('PATCH', '/api/projects/mars', { body: { name: 'Red Planet' } })).body,
      ).toMatchObject({ name: 'Red Planet' });
      const list = await as(bob)<{ slug: string }[]>('GET', '/api/projects');
      expect(list.body.map((p) => p.slug)).toContain('mars');
      const removed = await as(ann)('DELETE', '/api/projects/mars/members/bob');
      expect(removed.body).toEqual({ slug: 'mars', worker_id: 'bob', removed: true });
      expectError(await as(ann)('DELETE', '/api/projects/mars/members/bob'), 404, 'NOT_FOUND');
    });

    it('lists workers, tells the caller who they are, and lets admins register agents', async () => {
      expect((await as(bob)<Worker>('GET', '/api/workers/me')).body).toMatchObject({
        id: 'bob',
        type: 'human',
        role: 'user',
      });
      expectError(
        await as(bob)('PUT', '/api/workers/helper-bot', {
          body: { type: 'agent', name: 'Helper' },
        }),
        403,
        'FORBIDDEN',
      );
      const registered = await as(root)<Worker>('PUT', '/api/workers/helper-bot', {
        body: { type: 'agent', name: 'Helper' },
      });
      expect(registered).toMatchObject({
        status: 200,
        body: { id: 'helper-bot', type: 'agent', name: 'Helper' },
      });
      const agents = await as(root)<Worker[]>('GET', '/api/workers?type=agent');
      expect(agents.body.map((w) => w.id)).toEqual(['helper-bot']);
      const mine = await as(ann)<Worker[]>('GET', '/api/workers?project_slug=wf');
      expect(mine.body.map((w) => w.id).sort()).toEqual(['ann', 'bob']);
    });
  });
});

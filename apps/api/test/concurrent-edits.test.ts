import type { AuditAction } from '@taskflow/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, failure, type Harness, startHarness } from './helpers/harness';
import { restClient } from './helpers/rest';

const WRITERS = 30;

describe('changes under contention', () => {
  let h: Harness;
  let token: string;
  let owner: Client;
  let rest: ReturnType<typeof restClient>;

  beforeAll(async () => {
    // A connection per concurrent request, so the database decides every race.
    h = await startHarness({ maxConnections: WRITERS + 5 });
    token = await h.issuer.token('editor');
    owner = h.withToken(token);
    rest = restClient(h.baseUrl);
  });
  afterAll(() => h.stop());

  const auditCount = async (taskId: number, action: AuditAction) =>
    (
      await h.database.db
        .selectFrom('audit_log')
        .select('id')
        .where('task_id', '=', taskId)
        .where('action', '=', action)
        .execute()
    ).length;

  it(`${WRITERS} concurrent unconditional PATCHes all land, each once`, async () => {
    const { id } = await owner.tasks.create.mutate({ title: 'Hot' });
    const results = await Promise.all(
      Array.from({ length: WRITERS }, (_, i) =>
        rest('PATCH', `/api/tasks/${id}`, {
          token,
          body:
            i % 2 ? { title: `Title ${i}` } : { description: `Description ${i}`, tags: [`t${i}`] },
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(WRITERS).fill(200));
    const task = await owner.tasks.get.query({ id });
    expect(task.version).toBe(WRITERS + 1);
    expect(await auditCount(id, 'updated')).toBe(WRITERS);
  });

  it('concurrent unconditional workflow moves by the assignee all land', async () => {
    const { id } = await owner.tasks.create.mutate({ title: 'Progressing' });
    await owner.tasks.start.mutate({ id });
    const results = await Promise.all(
      Array.from({ length: WRITERS }, (_, i) =>
        rest('POST', `/api/tasks/${id}/progress`, { token, body: { percent: i + 1 } }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(WRITERS).fill(200));
    expect((await owner.tasks.get.query({ id })).version).toBe(WRITERS + 2);
    expect(await auditCount(id, 'progress')).toBe(WRITERS);
  });

  it('a conditional change still loses to one that came first (409 / 412)', async () => {
    const { id, version } = await owner.tasks.create.mutate({ title: 'Guarded' });
    await owner.tasks.update.mutate({ id, title: 'Changed' });
    const viaTrpc = await failure(
      owner.tasks.update.mutate({ id, title: 'Stale', expected_version: version }),
    );
    expect(viaTrpc).toMatchObject({ code: 'CONFLICT', httpStatus: 409 });
    const viaRest = await rest('PATCH', `/api/tasks/${id}`, {
      token,
      body: { title: 'Stale' },
      headers: { 'if-match': `"${version}"` },
    });
    expect(viaRest.status).toBe(412);
    expect((await owner.tasks.get.query({ id })).title).toBe('Changed');
  });

  it('DELETE takes If-Match / expected_version: stale is 412 (409 over tRPC) and deletes nothing', async () => {
    const { id, version } = await owner.tasks.create.mutate({ title: 'Doomed' });
    await owner.tasks.update.mutate({ id, priority: 'high' });

    const stale = await rest('DELETE', `/api/tasks/${id}`, {
      token,
      headers: { 'if-match': `"${version}"` },
    });
    expect(stale.status).toBe(412);
    expect(
      await failure(owner.tasks.delete.mutate({ id, expected_version: version })),
    ).toMatchObject({ code: 'CONFLICT', httpStatus: 409 });
    expect((await owner.tasks.get.query({ id })).title).toBe('Doomed');
    expect(await auditCount(id, 'deleted')).toBe(0);

    const garbage = await rest('DELETE', `/api/tasks/${id}`, {
      token,
      headers: { 'if-match': 'not-an-etag' },
    });
    expect(garbage.status).toBe(400);

    const current = await rest('DELETE', `/api/tasks/${id}`, {
      token,
      headers: { 'if-match': `"${version + 1}"` },
    });
    expect(current.status).toBe(200);
    expect(current.body).toEqual({ id, deleted: true });
    expect((await rest('GET', `/api/tasks/${id}`, { token })).status).toBe(404);
    expect(await auditCount(id, 'deleted')).toBe(1);
  });

  it('never ignores a version sent where the route does not read it', async () => {
    const { id, version } = await owner.tasks.create.mutate({ title: 'Kept' });
    await owner.tasks.update.mutate({ id, title: 'Kept still' });

    // DELETE reads expected_version from the query: stale is 409, as in a body elsewhere.
    const staleQuery = await rest('DELETE', `/api/tasks/${id}?expected_version=${version}`, {
      token,
    });
    expect(staleQuery.status).toBe(409);
    // A body on DELETE, or a query on PATCH, is refused rather than dropped.
    const deleteBody = await rest('DELETE', `/api/tasks/${id}`, {
      token,
      body: { expected_version: version },
    });
    expect(deleteBody.status).toBe(400);
    expect(deleteBody.body).toMatchObject({
      error: expect.stringMatching(/takes no request body/),
    });
    const patchQuery = await rest('PATCH', `/api/tasks/${id}?expected_version=${version}`, {
      token,
      body: { title: 'Lost update' },
    });
    expect(patchQuery.status).toBe(400);
    expect(patchQuery.body).toMatchObject({
      error: expect.stringMatching(/takes no query parameters \(got expected_version\)/),
    });
    expect(await owner.tasks.get.query({ id })).toMatchObject({ title: 'Kept still', version: 2 });

    const current = await rest('DELETE', `/api/tasks/${id}?expected_version=${version + 1}`, {
      token,
    });
    expect(current.status).toBe(200);
  });

  it('concurrent deletes of one task: one 200, the rest 404, one audit row', async () => {
    const { id } = await owner.tasks.create.mutate({ title: 'Twice deleted' });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => rest('DELETE', `/api/tasks/${id}`, { token })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, ...Array(9).fill(404)]);
    expect(await auditCount(id, 'deleted')).toBe(1);
  });
});

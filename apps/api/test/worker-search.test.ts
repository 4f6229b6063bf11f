import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, type Harness, startHarness } from './helpers/harness';

/** The member picker's search: part of a name among the workers one sees, or a whole address. */
describe('workers.list q: by name, or by a whole email address', () => {
  let h: Harness;
  const as = async (sub: string, name: string, email?: string) =>
    h.withToken(await h.issuer.token(sub, { name, ...(email && { email }) }));

  const storedEmail = async (id: string) =>
    (
      await h.database.db
        .selectFrom('workers')
        .select('email')
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    ).email;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.stop());

  it('finds a stranger only by their whole address, and co-workers by part of a name', async () => {
    const ann = await as('ann', 'Ann Owner', 'ann@example.com');
    const carl = await as('carl', 'Carl Stranger', 'Carl@Example.com');
    const dora = await as('dora', 'Dora Teammate', 'dora@example.com');
    for (const client of [ann, carl, dora]) await client.workers.me.query();
    await ann.projects.create.mutate({ slug: 'crew', name: 'Crew' });
    await ann.projects.addMember.mutate({ slug: 'crew', worker_id: 'dora' });

    const ids = async (q: string) => (await ann.workers.list.query({ q })).items.map((w) => w.id);
    // Carl shares no project with Ann: neither part of his name nor of his address finds him.
    expect(await ids('carl')).toEqual([]);
    expect(await ids('carl@example')).toEqual([]);
    // His whole address does, in any case: it is how an owner adds someone new.
    expect(await ids('CARL@example.com')).toEqual(['carl']);
    expect(await ids('dora')).toEqual(['dora']);
    expect(await ids('TEAM')).toEqual(['dora']);
    expect(await ids('%')).toEqual([]);

    await ann.projects.addMember.mutate({ slug: 'crew', worker_id: 'carl' });
    expect(await ids('stranger')).toEqual(['carl']);
    expect((await failure(ann.workers.list.query({ q: '' }))).httpStatus).toBe(400);
  });

  it('keeps the address the newest token carries, and records that it changed', async () => {
    const before = await as('eve', 'Eve', 'eve@old.example');
    await before.workers.me.query();
    const after = await as('eve', 'Eve', 'eve@new.example');
    await after.workers.me.query();
    expect(await storedEmail('eve')).toBe('eve@new.example');
    const trail = await h.database.db
      .selectFrom('audit_log')
      .select(['action', 'context'])
      .where('actor_id', '=', 'eve')
      .orderBy('id')
      .execute();
    expect(trail.map((r) => r.action)).toEqual(['worker_registered', 'worker_email_changed']);
    expect(JSON.stringify(trail)).not.toContain('example');
    // A token without an address leaves the stored one alone.
    await (await as('eve', 'Eve')).workers.me.query();
    expect(await storedEmail('eve')).toBe('eve@new.example');
  });
});

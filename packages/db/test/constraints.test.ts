import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../src/testing';

describe('schema constraints', () => {
  let database: TestDatabase;
  let projectA: number;
  let projectB: number;

  beforeAll(async () => {
    database = await createTestDatabase();
    const { db } = database;
    await db.insertInto('workers').values({ id: 'alice', type: 'human', name: 'Alice' }).execute();
    const insertProject = async (slug: string) =>
      (
        await db
          .insertInto('projects')
          .values({ slug, name: slug, owner_id: 'alice' })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    projectA = await insertProject('alpha');
    projectB = await insertProject('beta');
  });
  afterAll(() => database.drop());

  const insertTask = (project_id: number, extra: Record<string, unknown> = {}) =>
    database.db
      .insertInto('tasks')
      .values({ project_id, title: 'T', created_by: 'alice', ...extra })
      .returningAll()
      .executeTakeFirstOrThrow();

  it('derives priority_rank for sorting and defaults a task to pending, version 1', async () => {
    const task = await insertTask(projectA, { priority: 'critical' });
    expect(task.status).toBe('pending');
    expect(task.version).toBe(1);
    expect(task.priority_rank).toBe(3);
    expect(task.tags).toEqual([]);
  });

  it('refuses a parent from another project', async () => {
    const parent = await insertTask(projectA);
    await expect(insertTask(projectB, { parent_id: parent.id })).rejects.toThrow(/foreign key/);
    const child = await insertTask(projectA, { parent_id: parent.id });
    expect(child.parent_id).toBe(parent.id);
  });

  it('refuses deleting a parent that has subtasks', async () => {
    const parent = await insertTask(projectA);
    await insertTask(projectA, { parent_id: parent.id });
    await expect(
      database.db.deleteFrom('tasks').where('id', '=', parent.id).execute(),
    ).rejects.toThrow(/foreign key/);
  });

  it('refuses out-of-range values', async () => {
    await expect(insertTask(projectA, { progress_percent: 101 })).rejects.toThrow(/check/);
    await expect(insertTask(projectA, { status: 'done' })).rejects.toThrow(/check/);
    await expect(insertTask(projectA, { title: '' })).rejects.toThrow(/check/);
    await expect(
      sql`insert into projects (slug, name, owner_id) values ('Bad Slug', 'x', 'alice')`.execute(
        database.db,
      ),
    ).rejects.toThrow(/check/);
  });

  it('keeps dependency edges within one project, off the task itself, and drops them with a task', async () => {
    const a = await insertTask(projectA);
    const b = await insertTask(projectA);
    const other = await insertTask(projectB);
    const edge = (task_id: number, depends_on_id: number, project_id: number) =>
      database.db
        .insertInto('task_dependencies')
        .values({ task_id, depends_on_id, project_id, created_by: 'alice' })
        .execute();
    await expect(edge(a.id, a.id, projectA)).rejects.toThrow(/check/);
    await expect(edge(a.id, other.id, projectA)).rejects.toThrow(/foreign key/);
    await expect(edge(a.id, other.id, projectB)).rejects.toThrow(/foreign key/);
    await edge(a.id, b.id, projectA);
    await expect(edge(a.id, b.id, projectA)).rejects.toThrow(/duplicate key/);
    await database.db.deleteFrom('tasks').where('id', '=', b.id).execute();
    const left = await database.db
      .selectFrom('task_dependencies')
      .selectAll()
      .where('task_id', '=', a.id)
      .execute();
    expect(left).toEqual([]);
  });

  it("counts each task's edges both ways, through inserts, deletes and a deleted task's cascade", async () => {
    const [a, b, c] = [
      await insertTask(projectA),
      await insertTask(projectA),
      await insertTask(projectA),
    ];
    const counts = async () =>
      (
        await database.db
          .selectFrom('tasks')
          .select(['id', 'depends_on_count', 'dependents_count'])
          .where('id', 'in', [a.id, b.id, c.id])
          .orderBy('id')
          .execute()
      ).map((t) => [t.depends_on_count, t.dependents_count]);
    const edges = [
      { task_id: a.id, depends_on_id: b.id },
      { task_id: a.id, depends_on_id: c.id },
      { task_id: b.id, depends_on_id: c.id },
    ].map((e) => ({ ...e, project_id: projectA, created_by: 'alice' }));
    await database.db.insertInto('task_dependencies').values(edges).execute();
    expect(await counts()).toEqual([
      [2, 0],
      [1, 1],
      [0, 2],
    ]);
    await database.db
      .deleteFrom('task_dependencies')
      .where('task_id', '=', a.id)
      .where('depends_on_id', '=', c.id)
      .execute();
    expect(await counts()).toEqual([
      [1, 0],
      [1, 1],
      [0, 1],
    ]);
    // Deleting b cascades to both of its edges: a and c no longer count them.
    await database.db.deleteFrom('tasks').where('id', '=', b.id).execute();
    const left = await database.db
      .selectFrom('tasks')
      .select(['depends_on_count', 'dependents_count'])
      .where('id', 'in', [a.id, c.id])
      .orderBy('id')
      .execute();
    expect(left.map((t) => [t.depends_on_count, t.dependents_count])).toEqual([
      [0, 0],
      [0, 0],
    ]);
  });

  it('allows one default project per owner', async () => {
    await database.db
      .insertInto('projects')
      .values({ slug: 'alice-home', name: 'Home', owner_id: 'alice', is_default: true })
      .execute();
    await expect(
      database.db
        .insertInto('projects')
        .values({ slug: 'alice-home-2', name: 'Home', owner_id: 'alice', is_default: true })
        .execute(),
    ).rejects.toThrow(/projects_one_default_per_owner/);
  });
});

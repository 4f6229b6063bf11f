import { sql } from '@taskflow/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, failure, type Harness, startHarness } from './helpers/harness';

describe('nothing changes unrecorded', () => {
  let h: Harness;
  let dev: Client;

  beforeAll(async () => {
    h = await startHarness();
    dev = await h.as('dev');
    await dev.projects.create.mutate({ slug: 'aud', name: 'Aud' });
    // Injected failure: a real trigger makes the database refuse audit rows of one kind.
    await sql
      .raw(`create function refuse_started() returns trigger language plpgsql as $$
        begin
          if new.action = 'started' then raise exception 'injected audit failure'; end if;
          return new;
        end $$`)
      .execute(h.database.db);
    await sql
      .raw(
        'create trigger refuse_started before insert on audit_log for each row execute function refuse_started()',
      )
      .execute(h.database.db);
  });
  afterAll(() => h.stop());

  it('a failed audit insert rolls the change back and answers 500 without details', async () => {
    const task = await dev.tasks.create.mutate({ title: 'Audited', project_slug: 'aud' });
    const error = await failure(dev.tasks.start.mutate({ id: task.id }));
    expect(error).toMatchObject({
      code: 'INTERNAL_SERVER_ERROR',
      httpStatus: 500,
      message: 'Internal server error',
    });
    expect(error.message).not.toMatch(/injected/);
    expect(await dev.tasks.get.query({ id: task.id })).toEqual(task);
    const trail = (await dev.audit.list.query({ task_id: task.id })).items;
    expect(trail.map((e) => e.action)).toEqual(['created']);
  });

  it('other changes still commit with their audit row', async () => {
    const task = await dev.tasks.create.mutate({ title: 'Still fine', project_slug: 'aud' });
    const updated = await dev.tasks.update.mutate({ id: task.id, priority: 'critical' });
    expect(updated.version).toBe(2);
    const trail = (await dev.audit.list.query({ task_id: task.id })).items;
    expect(trail.map((e) => e.action)).toEqual(['created', 'updated']);
  });
});

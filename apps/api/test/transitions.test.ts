import {
  TASK_ACTIONS,
  TASK_STATUSES,
  type TaskAction,
  type TaskStatus,
  TRANSITIONS,
} from '@taskflow/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, failure, type Harness, startHarness } from './helpers/harness';
import { move } from './helpers/moves';

// The shared table (checked against DESIGN.md in packages/contracts): the server must obey it.
const ALLOWED_FROM = Object.fromEntries(
  TASK_ACTIONS.map((a) => [a, Object.keys(TRANSITIONS[a].from) as TaskStatus[]]),
) as Record<TaskAction, TaskStatus[]>;

const VERB: Record<TaskAction, string> = {
  start: 'start',
  progress: 'report progress on',
  submitForReview: 'submit for review',
  requestChanges: 'request changes on',
  complete: 'complete',
  reopen: 'reopen',
  block: 'block',
  unblock: 'unblock',
};

describe('invalid transitions', () => {
  let h: Harness;
  let dev: Client;
  let admin: Client;

  /** A fresh task brought into `status` by real moves. */
  async function taskIn(status: TaskStatus): Promise<number> {
    const { id } = await dev.tasks.create.mutate({ title: `in ${status}`, project_slug: 'flow' });
    if (status === 'pending') return id;
    if (status === 'blocked') {
      await dev.tasks.block.mutate({ id, reason: 'setup' });
      return id;
    }
    await dev.tasks.start.mutate({ id });
    if (status === 'in_progress') return id;
    await dev.tasks.submitForReview.mutate({ id });
    if (status === 'review') return id;
    await dev.tasks.complete.mutate({ id });
    return id;
  }

  beforeAll(async () => {
    h = await startHarness();
    dev = await h.as('dev');
    admin = await h.as('root', { admin: true });
    await dev.projects.create.mutate({ slug: 'flow', name: 'Flow' });
  });
  afterAll(() => h.stop());

  const cases = TASK_STATUSES.flatMap((status) =>
    TASK_ACTIONS.filter((a) => !ALLOWED_FROM[a].includes(status)).map((a) => [a, status] as const),
  );

  it('covers every pair the table forbids', () => {
    expect(cases).toHaveLength(TASK_ACTIONS.length * TASK_STATUSES.length - 10);
  });

  it.each(cases)(
    '%s from %s is a 409 that changes nothing, even for an admin',
    async (action, status) => {
      const id = await taskIn(status);
      const before = await dev.tasks.get.query({ id });
      const trailBefore = (await dev.audit.list.query({ task_id: id })).items;
      const error = await failure(move(admin, action, id));
      expect(error).toMatchObject({ code: 'CONFLICT', httpStatus: 409 });
      expect(error.message).toBe(`Cannot ${VERB[action]} task with status '${status}'`);
      expect(await dev.tasks.get.query({ id })).toEqual(before);
      expect((await dev.audit.list.query({ task_id: id })).items).toEqual(trailBefore);
    },
  );

  it.each(TASK_STATUSES.flatMap((status) => allowedFrom(status).map((a) => [a, status] as const)))(
    '%s from %s is allowed for an admin',
    async (action, status) => {
      const id = await taskIn(status);
      const moved = await move(admin, action, id);
      expect(moved.version).toBeGreaterThan(1);
    },
  );
});

function allowedFrom(status: TaskStatus): TaskAction[] {
  return TASK_ACTIONS.filter((a) => ALLOWED_FROM[a].includes(status));
}

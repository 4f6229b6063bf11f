import type { Stack } from '@taskflow/auth/testing';
import type { Task } from '@taskflow/contracts';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliAgainstStack } from './helpers/run';

interface Deps {
  id: number;
  status: string;
  blocked_by: { id: number; title: string; status: string }[];
  blocks: { id: number; title: string; status: string }[];
  ready: boolean;
}

describe('taskflow deps, as a real process against a real stack', () => {
  const cli = cliAgainstStack('taskflow-deps-');
  const { taskflow, json } = cli;
  let s: Stack;

  beforeAll(async () => {
    s = cli.stack();
    await s.signUp('dee@example.com', 'Dee Deps', 'dee-password-123');
    const r = await taskflow(['login', '--email', 'dee@example.com'], {
      TASKFLOW_PASSWORD: 'dee-password-123',
    });
    expect(r.code, r.stderr).toBe(0);
  });

  it('adds, lists and removes dependencies; start is refused (exit 5) while one is unfinished', async () => {
    await json(['project', 'create', 'chain', 'Chain']);
    const ship = await json<Task>(['create', 'Ship it', '--project', 'chain']);
    const build = await json<Task>(['create', 'Build it', '--project', 'chain']);

    const added = await taskflow(['deps', 'add', String(ship.id), String(build.id)]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout.trim()).toBe(
      `Task ${ship.id} waits for task ${build.id} (task ${ship.id} waits for: ${build.id})`,
    );

    const listed = await json<Deps>(['deps', String(ship.id)]);
    expect(listed).toEqual({
      id: ship.id,
      status: 'pending',
      blocked_by: [{ id: build.id, title: 'Build it', status: 'pending' }],
      blocks: [],
      ready: false,
    });
    const text = await taskflow(['deps', String(build.id)]);
    expect(text.stdout).toContain(`Task ${build.id}: Build it [pending, ready to start]`);
    expect(text.stdout).toMatch(
      new RegExp(`Blocks:\\nID\\s+STATUS\\s+TITLE\\n${ship.id}\\s+pending\\s+Ship it`),
    );

    const ready = (await json<{ items: Task[] }>(['list', '--project', 'chain', '--ready'])).items;
    expect(ready.map((t) => t.id)).toEqual([build.id]);

    const refused = await taskflow(['start', String(ship.id)]);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain(`waits for unfinished task ${build.id} "Build it" (pending)`);

    const cycle = await taskflow(['deps', 'add', String(build.id), String(ship.id)]);
    expect(cycle.code).toBe(7);
    expect(cycle.stderr).toContain('would be a cycle');

    const removed = await json<Task>(['deps', 'rm', String(ship.id), String(build.id)]);
    expect(removed.blocked_by).toEqual([]);
    expect((await taskflow(['start', String(ship.id)])).code).toBe(0);

    const usage = await taskflow(['deps', 'add', String(ship.id)]);
    expect(usage.code).toBe(2);
  });
});

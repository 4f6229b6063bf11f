import type { Task } from '@taskflow/contracts';
import { id } from './args';
import type { Command } from './commands';
import { dependenciesText } from './format';

const changed = (task: Task, text: string) => ({
  data: task,
  text: `${text} (task ${task.id} waits for: ${task.blocked_by.join(', ') || 'nothing'})`,
});

/** `taskflow deps ID`, `taskflow deps add ID DEP`, `taskflow deps rm ID DEP`. */
export const DEPS_COMMANDS: Command[] = [
  {
    name: 'deps',
    procedure: 'tasks.get',
    summary: 'What a task waits for, and what waits for it',
    args: ['ID'],
    run: async (ctx, _v, a) => {
      const client = ctx.client();
      const task = await client.tasks.get.query({ id: id(a[0], 'ID') });
      const read = (ids: number[]) =>
        Promise.all(ids.map((dep) => client.tasks.get.query({ id: dep })));
      const [waitsFor, blocks] = await Promise.all([read(task.blocked_by), read(task.blocks)]);
      const brief = (t: Task) => ({ id: t.id, title: t.title, status: t.status });
      return {
        data: {
          id: task.id,
          status: task.status,
          blocked_by: waitsFor.map(brief),
          blocks: blocks.map(brief),
          ready: task.status === 'pending' && waitsFor.every((t) => t.status === 'completed'),
        },
        text: dependenciesText(task, waitsFor, blocks),
      };
    },
  },
  {
    name: 'deps add',
    procedure: 'tasks.addDependency',
    summary: 'Make task ID wait for task DEP (same project)',
    args: ['ID', 'DEP'],
    run: async (ctx, _v, a) => {
      const task = await ctx
        .client()
        .tasks.addDependency.mutate({ id: id(a[0], 'ID'), depends_on_id: id(a[1], 'DEP') });
      return changed(task, `Task ${task.id} waits for task ${a[1]}`);
    },
  },
  {
    name: 'deps rm',
    procedure: 'tasks.removeDependency',
    summary: 'Stop task ID waiting for task DEP',
    args: ['ID', 'DEP'],
    run: async (ctx, _v, a) => {
      const task = await ctx
        .client()
        .tasks.removeDependency.mutate({ id: id(a[0], 'ID'), depends_on_id: id(a[1], 'DEP') });
      return changed(task, `Task ${task.id} does not wait for task ${a[1]}`);
    },
  },
];

import type { ParseArgsConfig } from 'node:util';
import {
  MOVES,
  moveFields,
  TASK_ACTIONS,
  type Task,
  type TaskAction,
  type TaskPriority,
  type TaskStatus,
} from '@taskflow/contracts';
import type { ProcedurePath } from '@taskflow/router';
import type { z } from 'zod';
import { AGENT_COMMANDS } from './agent-commands';
import { id, int, str } from './args';
import type { CommandContext } from './context';
import { DEPS_COMMANDS } from './deps-commands';
import {
  auditTable,
  projectDetail,
  projectsTable,
  taskDetail,
  tasksTable,
  workersTable,
} from './format';
import { login, logout } from './login';
import { WATCH_COMMANDS } from './watch-command';
import { WEBHOOK_COMMANDS } from './webhook-commands';

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | undefined>;

export interface Command {
  name: string;
  /** The procedure it calls: the contract test checks every procedure has a command. */
  procedure?: ProcedurePath;
  summary: string;
  args?: string[];
  options?: Options;
  run(
    ctx: CommandContext,
    values: Values,
    args: string[],
  ): Promise<{ data: unknown; text: string }>;
}

const tags = (v: string | undefined) =>
  v === undefined
    ? undefined
    : v
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean);

const ref = (v: string | undefined) =>
  v === undefined ? undefined : v === 'none' || v === '0' ? null : v;

const taskResult = (task: Task, verb?: string) => ({
  data: task,
  text: verb
    ? `${verb} task ${task.id}: ${task.title} [${task.status}, ${task.progress_percent}%]`
    : taskDetail(task),
});

/** --epoch and --lease, as the claim fields of a move or heartbeat. */
function claimFields(values: Values): { claim_epoch?: number; lease_seconds?: number } {
  const epoch = int(str(values.epoch), '--epoch');
  const lease = int(str(values.lease), '--lease');
  return {
    ...(epoch !== undefined && { claim_epoch: epoch }),
    ...(lease !== undefined && { lease_seconds: lease }),
  };
}

const claimed = (task: Task) =>
  `Claimed task ${task.id}: ${task.title} [${task.priority}, ${task.project_slug}] epoch ${task.claim_epoch}, lease until ${task.lease_expires_at ?? '-'}`;

const editOptions: Options = {
  title: { type: 'string' },
  description: { type: 'string', short: 'd' },
  priority: { type: 'string', short: 'p' },
  parent: { type: 'string' },
  assign: { type: 'string', short: 'a' },
  tags: { type: 'string', short: 't' },
  due: { type: 'string' },
};

/**
 * `taskflow <cli> ID [NUMBERS...] [--note ...] [--reason ...] [--if-version N]`, from the
 * move's row of MOVES: its number fields (percent) are positional, its text
 * fields options, and --if-version makes the move conditional.
 */
function moveCommand(action: TaskAction): Command {
  const row = MOVES[action];
  const fields = moveFields(action);
  const positional = fields.filter((f) => f.kind === 'number').map((f) => f.name);
  const named = fields.filter((f) => f.kind !== 'number').map((f) => f.name);
  const options: Options = Object.fromEntries(
    named.map((name) => [name, { type: 'string', short: name.charAt(0) }]),
  );
  options['if-version'] = { type: 'string' };
  // The claim's fields: --epoch proves you still hold the claim, --lease sets a claim's lease.
  const shape = (row.input as z.ZodObject).shape;
  if ('claim_epoch' in shape) options.epoch = { type: 'string' };
  if ('lease_seconds' in shape) options.lease = { type: 'string' };
  return {
    name: row.cli,
    procedure: `tasks.${action}`,
    summary: row.summary,
    args: ['ID', ...positional.map((name) => name.toUpperCase())],
    options,
    run: async (ctx, values, args) => {
      const version = int(str(values['if-version']), '--if-version');
      const input = {
        id: id(args[0]),
        ...Object.fromEntries(
          positional.map((name, i) => [name, int(args[i + 1], name.toUpperCase())]),
        ),
        ...Object.fromEntries(
          named.flatMap((name) => {
            const value = str(values[name]);
            return value === undefined ? [] : [[name, value]];
          }),
        ),
        ...(version !== undefined && { expected_version: version }),
        ...claimFields(values),
      };
      // The row's schema is its procedure's input; the server validates what the shell gave.
      const task = await ctx.client().tasks[action].mutate(input as never);
      return taskResult(task, row.done);
    },
  };
}

/** A list's table, and when more rows follow, how to ask for them (--json carries next_cursor). */
function withNextHint(table: string, next: string | null): string {
  return next === null ? table : `${table}\n(more: add --cursor ${next})`;
}

export const COMMANDS: Command[] = [
  {
    name: 'login',
    summary: 'Sign in with email + password (or an agent API key) and remember it',
    options: {
      email: { type: 'string', short: 'e' },
      password: { type: 'string' },
      'api-key': { type: 'string' },
      'auth-url': { type: 'string' },
    },
    run: async (ctx, v) => {
      const me = await login(ctx, {
        email: str(v.email),
        password: str(v.password),
        'api-key': str(v['api-key']),
        'auth-url': str(v['auth-url']),
      });
      return { data: me, text: '' };
    },
  },
  {
    name: 'logout',
    summary: 'Forget the stored credentials',
    run: async (ctx) => ({ data: await logout(ctx), text: '' }),
  },
  {
    name: 'whoami',
    procedure: 'workers.me',
    summary: 'Who you are to TaskFlow',
    run: async (ctx) => {
      const me = await ctx.client().workers.me.query();
      return { data: me, text: `${me.name} (${me.id}) — ${me.type}, ${me.role}` };
    },
  },
  {
    name: 'list',
    procedure: 'tasks.list',
    summary: 'List tasks you can see',
    options: {
      status: { type: 'string', short: 's' },
      mine: { type: 'boolean', short: 'm' },
      project: { type: 'string' },
      priority: { type: 'string', short: 'p' },
      parent: { type: 'string' },
      search: { type: 'string', short: 'q' },
      ready: { type: 'boolean' },
      limit: { type: 'string', short: 'l' },
      offset: { type: 'string' },
      cursor: { type: 'string' },
    },
    run: async (ctx, v) => {
      const page = await ctx.client().tasks.list.query({
        ...(str(v.status) && { status: str(v.status) as TaskStatus }),
        ...(v.mine === true && { assigned_to: 'me' }),
        ...(str(v.project) && { project_slug: str(v.project) }),
        ...(str(v.priority) && { priority: str(v.priority) as TaskPriority }),
        ...(str(v.parent) && { parent_id: int(str(v.parent), '--parent') }),
        ...(str(v.search) && { q: str(v.search) }),
        ...(v.ready === true && { ready: true }),
        ...(str(v.limit) && { limit: int(str(v.limit), '--limit') }),
        ...(str(v.offset) && { offset: int(str(v.offset), '--offset') }),
        ...(str(v.cursor) && { cursor: str(v.cursor) }),
      });
      return { data: page, text: withNextHint(tasksTable(page.items), page.next_cursor) };
    },
  },
  {
    name: 'counts',
    procedure: 'tasks.counts',
    summary: 'Count tasks per status (the filters of list)',
    options: {
      mine: { type: 'boolean', short: 'm' },
      project: { type: 'string' },
      priority: { type: 'string', short: 'p' },
      tag: { type: 'string' },
      search: { type: 'string', short: 'q' },
    },
    run: async (ctx, v) => {
      const counts = await ctx.client().tasks.counts.query({
        ...(v.mine === true && { assigned_to: 'me' }),
        ...(str(v.project) && { project_slug: str(v.project) }),
        ...(str(v.priority) && { priority: str(v.priority) as TaskPriority }),
        ...(str(v.tag) && { tag: str(v.tag) }),
        ...(str(v.search) && { q: str(v.search) }),
      });
      const text = Object.entries(counts)
        .map(([status, n]) => `${status.padEnd(12)}${n}`)
        .join('\n');
      return { data: counts, text };
    },
  },
  {
    name: 'show',
    procedure: 'tasks.get',
    summary: 'Show one task',
    args: ['ID'],
    run: async (ctx, _v, a) => taskResult(await ctx.client().tasks.get.query({ id: id(a[0]) })),
  },
  {
    name: 'create',
    procedure: 'tasks.create',
    summary: 'Create a task (in your default project unless --project)',
    args: ['TITLE'],
    options: { ...editOptions, project: { type: 'string' } },
    run: async (ctx, v, a) => {
      const task = await ctx.client().tasks.create.mutate({
        title: a[0] ?? '',
        ...(str(v.description) !== undefined && { description: str(v.description) }),
        ...(str(v.priority) && { priority: str(v.priority) as TaskPriority }),
        ...(str(v.project) && { project_slug: str(v.project) }),
        ...(str(v.parent) && { parent_id: id(str(v.parent), '--parent') }),
        ...(str(v.assign) && { assigned_to: ref(str(v.assign)) }),
        ...(tags(str(v.tags)) && { tags: tags(str(v.tags)) }),
        ...(str(v.due) && { due_date: str(v.due) }),
      });
      return taskResult(task, 'Created');
    },
  },
  {
    name: 'edit',
    procedure: 'tasks.update',
    summary: 'Edit a task (only the fields you pass)',
    args: ['ID'],
    options: editOptions,
    run: async (ctx, v, a) => {
      const parent = str(v.parent);
      const task = await ctx.client().tasks.update.mutate({
        id: id(a[0]),
        ...(str(v.title) !== undefined && { title: str(v.title) }),
        ...(str(v.description) !== undefined && { description: str(v.description) }),
        ...(str(v.priority) && { priority: str(v.priority) as TaskPriority }),
        ...(parent !== undefined && {
          parent_id: parent === 'none' || parent === '0' ? null : id(parent, '--parent'),
        }),
        ...(str(v.assign) !== undefined && { assigned_to: ref(str(v.assign)) }),
        ...(tags(str(v.tags)) && { tags: tags(str(v.tags)) }),
        ...(str(v.due) !== undefined && { due_date: str(v.due) === 'none' ? null : str(v.due) }),
      });
      return taskResult(task, 'Updated');
    },
  },
  // The workflow: one command per row of the shared MOVES table.
  ...TASK_ACTIONS.map(moveCommand),
  {
    name: 'next',
    procedure: 'tasks.claimNext',
    summary:
      'Claim the next ready task (highest priority, then oldest) and start it; says so when there is none',
    options: {
      project: { type: 'string' },
      tags: { type: 'string', short: 't' },
      'min-priority': { type: 'string' },
      lease: { type: 'string' },
      any: { type: 'boolean' },
    },
    run: async (ctx, v) => {
      const task = await ctx.client().tasks.claimNext.mutate({
        ...(str(v.project) && { project_slug: str(v.project) }),
        ...(tags(str(v.tags)) && { tags: tags(str(v.tags)) }),
        ...(str(v['min-priority']) && { min_priority: str(v['min-priority']) as TaskPriority }),
        // --any also takes tasks assigned to someone else.
        ...(v.any === true && { mine_or_unassigned: false }),
        ...claimFields(v),
      });
      return task
        ? { data: task, text: claimed(task) }
        : { data: null, text: 'No ready task to claim' };
    },
  },
  {
    name: 'heartbeat',
    procedure: 'tasks.heartbeat',
    summary: "Extend your claim's lease (--epoch: only if it is still your claim)",
    args: ['ID'],
    options: { epoch: { type: 'string' }, lease: { type: 'string' } },
    run: async (ctx, v, a) => {
      const task = await ctx.client().tasks.heartbeat.mutate({ id: id(a[0]), ...claimFields(v) });
      return {
        data: task,
        text: `Lease on task ${task.id} extended until ${task.lease_expires_at ?? '-'}`,
      };
    },
  },
  {
    name: 'assign',
    procedure: 'tasks.assign',
    summary: 'Assign a task to a project member ("none" unassigns)',
    args: ['ID', 'WORKER'],
    run: async (ctx, _v, a) =>
      taskResult(
        await ctx.client().tasks.assign.mutate({ id: id(a[0]), worker_id: ref(a[1]) ?? null }),
        'Assigned',
      ),
  },
  {
    name: 'delete',
    procedure: 'tasks.delete',
    summary: 'Delete a task (its audit trail stays)',
    args: ['ID'],
    run: async (ctx, _v, a) => {
      const result = await ctx.client().tasks.delete.mutate({ id: id(a[0]) });
      return { data: result, text: `Deleted task ${result.id}` };
    },
  },
  {
    name: 'audit',
    procedure: 'audit.list',
    summary: "A task's audit trail",
    args: ['ID'],
    options: {
      limit: { type: 'string', short: 'l' },
      offset: { type: 'string' },
      cursor: { type: 'string' },
    },
    run: async (ctx, v, a) => {
      const page = await ctx.client().audit.list.query({
        task_id: id(a[0]),
        ...(str(v.limit) && { limit: int(str(v.limit), '--limit') }),
        ...(str(v.offset) && { offset: int(str(v.offset), '--offset') }),
        ...(str(v.cursor) && { cursor: str(v.cursor) }),
      });
      return { data: page, text: withNextHint(auditTable(page.items), page.next_cursor) };
    },
  },
  {
    name: 'workers',
    procedure: 'workers.list',
    summary: 'List workers you share projects with (--search: part of a name, or a whole email)',
    options: {
      type: { type: 'string' },
      project: { type: 'string' },
      search: { type: 'string', short: 'q' },
      limit: { type: 'string', short: 'l' },
      cursor: { type: 'string' },
    },
    run: async (ctx, v) => {
      const page = await ctx.client().workers.list.query({
        ...(str(v.type) && { type: str(v.type) as 'human' | 'agent' }),
        ...(str(v.search) && { q: str(v.search) }),
        ...(str(v.project) && { project_slug: str(v.project) }),
        ...(str(v.limit) && { limit: int(str(v.limit), '--limit') }),
        ...(str(v.cursor) && { cursor: str(v.cursor) }),
      });
      return { data: page, text: withNextHint(workersTable(page.items), page.next_cursor) };
    },
  },
  {
    name: 'workers register',
    procedure: 'workers.upsert',
    summary: 'Register a worker as human or agent (admins)',
    args: ['WORKER_ID'],
    options: { type: { type: 'string' }, name: { type: 'string' } },
    run: async (ctx, v, a) => {
      const worker = await ctx.client().workers.upsert.mutate({
        id: a[0] ?? '',
        type: (str(v.type) ?? 'agent') as 'human' | 'agent',
        name: str(v.name) ?? a[0] ?? '',
      });
      return { data: worker, text: `Registered ${worker.id} as ${worker.type} (${worker.name})` };
    },
  },
  ...DEPS_COMMANDS,
  ...WATCH_COMMANDS,
  ...AGENT_COMMANDS,
  {
    name: 'project list',
    procedure: 'projects.list',
    summary: 'Your projects',
    options: { limit: { type: 'string', short: 'l' }, cursor: { type: 'string' } },
    run: async (ctx, v) => {
      const page = await ctx.client().projects.list.query({
        ...(str(v.limit) && { limit: int(str(v.limit), '--limit') }),
        ...(str(v.cursor) && { cursor: str(v.cursor) }),
      });
      return { data: page, text: withNextHint(projectsTable(page.items), page.next_cursor) };
    },
  },
  {
    name: 'project create',
    procedure: 'projects.create',
    summary: 'Create a project (you become its owner)',
    args: ['SLUG', 'NAME'],
    options: { description: { type: 'string', short: 'd' } },
    run: async (ctx, v, a) => {
      const project = await ctx.client().projects.create.mutate({
        slug: a[0] ?? '',
        name: a[1] ?? '',
        ...(str(v.description) && { description: str(v.description) }),
      });
      return { data: project, text: `Created project ${project.slug}` };
    },
  },
  {
    name: 'project show',
    procedure: 'projects.get',
    summary: 'A project and its members',
    args: ['SLUG'],
    run: async (ctx, _v, a) => {
      const project = await ctx.client().projects.get.query({ slug: a[0] ?? '' });
      return { data: project, text: projectDetail(project) };
    },
  },
  {
    name: 'project edit',
    procedure: 'projects.update',
    summary:
      "Rename a project, change its description or its claims' default lease (--lease SECONDS|none) (owners)",
    args: ['SLUG'],
    options: {
      name: { type: 'string' },
      description: { type: 'string', short: 'd' },
      lease: { type: 'string' },
    },
    run: async (ctx, v, a) => {
      const lease = str(v.lease);
      const project = await ctx.client().projects.update.mutate({
        slug: a[0] ?? '',
        ...(str(v.name) && { name: str(v.name) }),
        ...(str(v.description) !== undefined && { description: str(v.description) }),
        ...(lease !== undefined && {
          default_lease_seconds: lease === 'none' ? null : int(lease, '--lease'),
        }),
      });
      return { data: project, text: `Updated project ${project.slug}` };
    },
  },
  {
    name: 'project add-member',
    procedure: 'projects.addMember',
    summary: 'Add a member, or change their role (owners)',
    args: ['SLUG', 'WORKER'],
    options: { role: { type: 'string' } },
    run: async (ctx, v, a) => {
      const project = await ctx.client().projects.addMember.mutate({
        slug: a[0] ?? '',
        worker_id: a[1] ?? '',
        role: (str(v.role) ?? 'member') as 'owner' | 'member',
      });
      return { data: project, text: projectDetail(project) };
    },
  },
  {
    name: 'project remove-member',
    procedure: 'projects.removeMember',
    summary: 'Remove a member (owners; anyone may leave)',
    args: ['SLUG', 'WORKER'],
    run: async (ctx, _v, a) => {
      const result = await ctx
        .client()
        .projects.removeMember.mutate({ slug: a[0] ?? '', worker_id: a[1] ?? '' });
      return { data: result, text: `Removed ${result.worker_id} from ${result.slug}` };
    },
  },
  ...WEBHOOK_COMMANDS,
];

/** Procedures with no command, and why. */
export const CLI_EXCEPTIONS: Partial<Record<ProcedurePath, string>> = {
  'health.live': 'a probe for load balancers, not a user action',
  'health.db': 'a probe for load balancers, not a user action',
  'events.list': '`taskflow watch` follows the live stream (events.onChange) instead',
};

import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import {
  AuditActorType,
  AuditListInput,
  availableActions,
  ChangeListInput,
  IDEMPOTENCY_KEY_PATTERN,
  LIMITS,
  MemberRole,
  MOVES,
  SortOrder,
  TASK_ACTIONS,
  type Task,
  TaskAssignInput,
  TaskClaimNextInput,
  TaskCountsSchema,
  TaskCreateInput,
  TaskDeleteInput,
  TaskDeleteResult,
  TaskDependencyInput,
  TaskHeartbeatInput,
  TaskIdInput,
  TaskPriority,
  TaskSchema,
  TaskSortField,
  TaskStatus,
  TaskUpdateInput,
} from '@taskflow/contracts';
import type { ProcedurePath } from '@taskflow/router';
import { z } from 'zod';
import type { McpApiClient as TaskflowClient } from './client';
import { describeToolFailure } from './failure';

/** Agents have small context windows: lists are paged and compact unless asked. */
export const DEFAULT_PAGE = 20;

const Detail = z
  .enum(['summary', 'full'])
  .default('summary')
  .describe(
    'summary: id, title, status, priority, progress, assignee, project. full: every field.',
  );
const Page = {
  limit: z
    .number()
    .int()
    .min(1)
    .max(LIMITS.pageMax)
    .default(DEFAULT_PAGE)
    .describe('Page size (1-100, default 20)'),
  offset: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('Skip this many (prefer cursor: pages then hold still while others add tasks)'),
  cursor: z
    .string()
    .optional()
    .describe('next_cursor from the previous page, with the same filters and sort'),
};

/** What a compact list shows of a task (`summarize`). */
export const TaskSummary = z.object({
  id: TaskSchema.shape.id,
  title: z.string(),
  status: TaskStatus,
  priority: TaskPriority,
  progress: z.number().int(),
  assigned_to: z.string().nullable(),
  project: z.string(),
  parent_id: z.number().int().optional(),
  waiting_for: z.array(z.number().int()).optional(),
});

/** A task with the moves this agent may make on it now. */
export const TaskWithActions = TaskSchema.extend({
  available_actions: z.array(z.enum(TASK_ACTIONS)),
});

/** The paging field every list tool answers with: pass it back as `cursor`; null on the last page. */
const PageResult = { next_cursor: z.string().nullable() };

export function summarize(task: Task): z.output<typeof TaskSummary> {
  return {
    id: task.id,
    title: task.title,
    status: task.status,
    priority: task.priority,
    progress: task.progress_percent,
    assigned_to: task.assigned_to,
    project: task.project_slug,
    ...(task.parent_id && { parent_id: task.parent_id }),
    ...(task.waiting_for.length > 0 && { waiting_for: task.waiting_for }),
  };
}

const ListTasksInput = z.strictObject({
  status: TaskStatus.optional(),
  assigned_to: z.string().optional().describe('A worker id, or "me"'),
  project_slug: z.string().optional(),
  priority: TaskPriority.optional(),
  parent_id: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('Subtasks of this task; 0 for top-level tasks only'),
  tag: z.string().optional(),
  q: z.string().optional().describe('Case-insensitive search in titles'),
  ready: z
    .boolean()
    .optional()
    .describe('true: only pending tasks whose dependencies are all completed (startable now)'),
  sort_by: TaskSortField.optional(),
  sort_order: SortOrder.optional(),
  ...Page,
  detail: Detail,
});

/** The filters of list_tasks, without paging, sorting or detail. */
const CountTasksInput = ListTasksInput.pick({
  assigned_to: true,
  project_slug: true,
  priority: true,
  parent_id: true,
  tag: true,
  q: true,
  ready: true,
});

export interface Tool {
  name: string;
  /** The API procedure it calls (the same one the web app and the CLI call). */
  procedure: ProcedurePath;
  description: string;
  input: z.ZodObject;
  /** The shape of its structuredContent (what `run` answers), advertised as outputSchema. */
  output: z.ZodObject;
  annotations: ToolAnnotations;
  run(client: TaskflowClient, input: never, me: () => Promise<string>): Promise<unknown>;
}

const read: ToolAnnotations = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
};
const write = (destructive: boolean, idempotent: boolean): ToolAnnotations => ({
  readOnlyHint: false,
  destructiveHint: destructive,
  idempotentHint: idempotent,
  openWorldHint: false,
});

/** What a write tool passes to its mutation: the agent's own Idempotency-Key, when it gave one. */
interface CallOptions {
  context: { idempotencyKey?: string };
}

const IdempotencyKeyArg = z
  .string()
  .regex(IDEMPOTENCY_KEY_PATTERN, '1 to 255 visible ASCII characters, no spaces')
  .optional()
  .describe(
    'Optional key of your own for this action (e.g. a UUID you keep). If you cannot tell whether a call went through, call again with the same key and the same arguments: you get the first outcome, and nothing is done twice.',
  );

/**
 * A tool. Write tools also take `idempotency_key`: the API's Idempotency-Key, which an
 * agent can give itself, since its retry of a tool call is a new request.
 */
function tool<S extends z.ZodObject, O extends z.ZodObject>(
  name: string,
  procedure: ProcedurePath,
  description: string,
  input: S,
  output: O,
  annotations: ToolAnnotations,
  run: (
    client: TaskflowClient,
    input: z.output<S>,
    me: () => Promise<string>,
    call: CallOptions,
  ) => Promise<z.input<O>>,
): Tool {
  if (annotations.readOnlyHint) {
    const plain = (client: TaskflowClient, args: z.output<S>, me: () => Promise<string>) =>
      run(client, args, me, { context: {} });
    return { name, procedure, description, input, output, annotations, run: plain as Tool['run'] };
  }
  const keyed = (
    client: TaskflowClient,
    { idempotency_key, ...args }: z.output<S> & { idempotency_key?: string },
    me: () => Promise<string>,
  ) => run(client, args as z.output<S>, me, { context: { idempotencyKey: idempotency_key } });
  return {
    name,
    procedure,
    description,
    input: input.safeExtend({ idempotency_key: IdempotencyKeyArg }),
    output,
    annotations,
    run: keyed as Tool['run'],
  };
}

const taskWithActions = async (task: Task, me: () => Promise<string>) => ({
  ...task,
  // What this agent may do next, from the same transition table the server enforces.
  available_actions: availableActions(task, { id: await me(), is_admin: false }),
});

export const TOOLS: Tool[] = [
  tool(
    'list_projects',
    'projects.list',
    'List the projects you are a member of.',
    z.strictObject({ ...Page }),
    z.object({
      items: z.array(z.object({ slug: z.string(), name: z.string(), role: MemberRole.nullable() })),
      ...PageResult,
    }),
    read,
    async (c, i) => {
      const page = await c.projects.list.query(i);
      return {
        items: page.items.map((p) => ({ slug: p.slug, name: p.name, role: p.role })),
        next_cursor: page.next_cursor,
      };
    },
  ),
  tool(
    'list_tasks',
    'tasks.list',
    'List tasks you can see, newest first, a page at a time (default 20, compact). Filter by status, assignee ("me"), project, priority, parent, tag, readiness (ready: startable now) or a title search.',
    ListTasksInput,
    z.object({ items: z.array(z.union([TaskSchema, TaskSummary])), ...PageResult }),
    read,
    async (c, i) => {
      const { detail, ...query } = i;
      const page = await c.tasks.list.query(query);
      return {
        items: detail === 'full' ? page.items : page.items.map(summarize),
        next_cursor: page.next_cursor,
      };
    },
  ),
  tool(
    'count_tasks',
    'tasks.counts',
    'Count the tasks you can see, per status and in total, with the filters of list_tasks: a cheap overview before paging.',
    CountTasksInput,
    TaskCountsSchema,
    read,
    (c, i) => c.tasks.counts.query(i),
  ),
  tool(
    'get_task',
    'tasks.get',
    'Get one task in full, with the moves you may make on it now.',
    TaskIdInput,
    TaskWithActions,
    read,
    async (c, i, me) => taskWithActions(await c.tasks.get.query(i), me),
  ),
  tool(
    'create_task',
    'tasks.create',
    'Create a task. It starts pending; without project_slug it goes to your default project.',
    TaskCreateInput,
    TaskSchema,
    write(false, false),
    async (c, i, _me, call) => c.tasks.create.mutate(i, call),
  ),
  // The workflow: one tool per row of the shared MOVES table.
  ...TASK_ACTIONS.map((action) =>
    tool(
      MOVES[action].mcp,
      `tasks.${action}`,
      MOVES[action].forAgents,
      MOVES[action].input,
      TaskSchema,
      write(false, false),
      // Each row's schema is its procedure's input: the table guarantees the pairing.
      async (c, i, _me, call) => c.tasks[action].mutate(i as never, call),
    ),
  ),
  tool(
    'claim_next_task',
    'tasks.claimNext',
    'Claim the next task to work on: starts the highest-priority, oldest ready task you may start (filters: project_slug, tags, min_priority; by default only tasks assigned to you or to nobody). Returns {"task": ...} with the task claimed, or {"task": null} when nothing is ready. Keep the claim alive with heartbeat (or progress reports) before lease_expires_at, and pass its claim_epoch to your later moves.',
    (TaskClaimNextInput as unknown as z.ZodDefault<z.ZodObject>).unwrap(),
    z.object({ task: TaskWithActions.nullable() }),
    write(false, false),
    async (c, i, me, call) => {
      const task = await c.tasks.claimNext.mutate(i as z.input<typeof TaskClaimNextInput>, call);
      return { task: task ? await taskWithActions(task, me) : null };
    },
  ),
  tool(
    'heartbeat',
    'tasks.heartbeat',
    'Extend the lease on a task you claimed, before lease_expires_at; otherwise it returns to pending for someone else. Pass claim_epoch: if the task was claimed again since, you get a 409 and should stop working on it.',
    TaskHeartbeatInput,
    TaskSchema,
    write(false, true),
    async (c, i, _me, call) => c.tasks.heartbeat.mutate(i, call),
  ),
  tool(
    'assign_task',
    'tasks.assign',
    'Assign a task to a member of its project (worker_id null unassigns).',
    TaskAssignInput,
    TaskSchema,
    write(false, true),
    async (c, i, _me, call) => c.tasks.assign.mutate(i, call),
  ),
  tool(
    'update_task',
    'tasks.update',
    'Edit a task: title, description, priority, tags, due date, parent, assignee. Only the fields you pass change.',
    TaskUpdateInput as unknown as z.ZodObject,
    TaskSchema,
    write(true, true),
    async (c, i, _me, call) => c.tasks.update.mutate(i as z.input<typeof TaskUpdateInput>, call),
  ),
  tool(
    'delete_task',
    'tasks.delete',
    'Delete a task you created. Its audit trail stays. Pass expected_version to delete only the version you read.',
    TaskDeleteInput,
    TaskDeleteResult,
    write(true, true),
    async (c, i, _me, call) => c.tasks.delete.mutate(i, call),
  ),
  tool(
    'add_dependency',
    'tasks.addDependency',
    'Make task id wait for task depends_on_id (same project): id cannot be started until depends_on_id is completed. A cycle is refused; adding an existing dependency changes nothing.',
    TaskDependencyInput,
    TaskSchema,
    write(false, true),
    async (c, i, _me, call) => c.tasks.addDependency.mutate(i, call),
  ),
  tool(
    'remove_dependency',
    'tasks.removeDependency',
    'Stop task id waiting for task depends_on_id.',
    TaskDependencyInput,
    TaskSchema,
    write(true, true),
    async (c, i, _me, call) => c.tasks.removeDependency.mutate(i, call),
  ),
  tool(
    'get_audit_trail',
    'audit.list',
    "A task's history, oldest first, a page at a time: who (human or agent) did what, when, and why.",
    AuditListInput.extend(Page),
    z.object({
      items: z.array(
        z.object({
          at: z.string(),
          actor: z.string(),
          actor_type: AuditActorType,
          action: z.string(),
          via: z.string().nullable(),
          context: z.record(z.string(), z.unknown()),
        }),
      ),
      ...PageResult,
    }),
    read,
    async (c, i) => {
      const page = await c.audit.list.query(i);
      return {
        items: page.items.map((e) => ({
          at: e.created_at,
          actor: e.actor_id,
          actor_type: e.actor_type,
          action: e.action,
          via: e.client,
          context: e.context,
        })),
        next_cursor: page.next_cursor,
      };
    },
  ),
  tool(
    'get_changes',
    'events.list',
    'What changed on the board since you last looked, oldest first: each change with who made it (human, agent or system), what it was, and the task as it stands now. Start without `after` (or with 0) to read from the beginning; pass back next_cursor as `after` to get only newer changes. When nothing new has happened, items is empty and next_cursor stays the same: call again later with it.',
    ChangeListInput.omit({ limit: true }).extend({ limit: Page.limit, detail: Detail }),
    z.object({
      items: z.array(
        z.object({
          id: z.number().int(),
          at: z.string(),
          actor: z.string(),
          actor_type: AuditActorType,
          action: z.string(),
          via: z.string().nullable(),
          project: z.string().nullable(),
          task_id: z.number().int().nullable(),
          context: z.record(z.string(), z.unknown()),
          task: z.union([TaskSchema, TaskSummary]).nullable(),
        }),
      ),
      next_cursor: z.number().int(),
    }),
    read,
    async (c, i) => {
      const { detail, ...query } = i;
      const page = await c.events.list.query(query);
      return {
        items: page.items.map((e) => ({
          id: e.id,
          at: e.created_at,
          actor: e.actor_id,
          actor_type: e.actor_type,
          action: e.action,
          via: e.client,
          project: e.project_slug,
          task_id: e.task_id,
          context: e.context,
          task: e.task && (detail === 'full' ? e.task : summarize(e.task)),
        })),
        next_cursor: page.next_cursor,
      };
    },
  ),
];

/**
 * The agent loop, for clients with small context windows (TASKFLOW_MCP_TOOLS=core):
 * find work, take it, keep it, report, finish, or say why it cannot go on.
 */
export const CORE_TOOLS: readonly string[] = [
  'list_tasks',
  'get_task',
  'claim_next_task',
  'heartbeat',
  'update_progress',
  'complete_task',
  'block_task',
];

export const TOOL_SETS = ['core', 'all'] as const;
export type ToolSet = (typeof TOOL_SETS)[number];

/** The tools a set holds. */
export function toolsOf(set: ToolSet): Tool[] {
  return set === 'all' ? TOOLS : TOOLS.filter((t) => CORE_TOOLS.includes(t.name));
}

/** TASKFLOW_MCP_TOOLS (or ?tools=): core or all; blank is all; anything else is refused. */
export function parseToolSet(value: string | undefined): ToolSet {
  const v = value?.trim().toLowerCase() || 'all';
  if ((TOOL_SETS as readonly string[]).includes(v)) return v as ToolSet;
  throw new Error(`tools must be one of ${TOOL_SETS.join(', ')}, not "${value}"`);
}

/** Procedures no tool exposes, and why. */
export const MCP_EXCEPTIONS: Partial<Record<ProcedurePath, string>> = {
  'health.live': 'a probe, not an agent action',
  'health.db': 'a probe, not an agent action',
  'events.onChange': 'a live stream; agents catch up with get_changes (events.list) instead',
  'projects.create': 'people set up projects; agents work in them',
  'projects.get': 'agents see their projects through list_projects and tasks',
  'projects.update': 'people manage projects',
  'projects.addMember': 'people decide who works on a project',
  'projects.removeMember': 'people decide who works on a project',
  'workers.me': 'the server knows its agent; get_task reports what it may do',
  'workers.list': 'agents refer to workers by id from tasks',
  'workers.upsert': 'admins register agents, agents do not register themselves',
  'webhooks.create': 'people connect integrations, and its answer is a signing secret',
  'webhooks.list': "people manage a project's integrations",
  'webhooks.get': "people manage a project's integrations",
  'webhooks.update': "people manage a project's integrations",
  'webhooks.delete': "people manage a project's integrations",
  'webhooks.rotateSecret':
    'its answer is a signing secret, which does not belong in an agent transcript',
  'webhooks.test': "people manage a project's integrations",
  'webhooks.deliveries': "people read an integration's delivery log; agents follow tasks",
};

/** A tool's answer: its result as JSON text, or the API's refusal as a tool error. */
export async function callTool(
  tool: Tool,
  client: TaskflowClient,
  input: unknown,
  me: () => Promise<string>,
): Promise<CallToolResult> {
  try {
    const result = (await tool.run(client, input as never, me)) as Record<string, unknown>;
    // The text is the same JSON, for clients that read only content.
    return {
      content: [{ type: 'text', text: JSON.stringify(result) }],
      structuredContent: result,
    };
  } catch (error) {
    const failure = describeToolFailure(error);
    const where = failure.status ? `${failure.status} ${failure.code}` : (failure.code ?? 'ERROR');
    const issues = failure.issues.length
      ? ` (${failure.issues.map((i) => `${i.path || 'input'}: ${i.message}`).join('; ')})`
      : '';
    return {
      isError: true,
      content: [{ type: 'text', text: `${where}: ${failure.message}${issues}` }],
    };
  }
}

import {
  MOVES,
  pageOf,
  TASK_ACTIONS,
  type TaskAction,
  TaskAssignInput,
  TaskClaimNextInput,
  TaskCountsInput,
  TaskCountsSchema,
  TaskCreateInput,
  TaskDeleteInput,
  TaskDeleteResult,
  TaskDependencyInput,
  TaskHeartbeatInput,
  TaskIdInput,
  TaskListInput,
  TaskSchema,
  TaskUpdateInput,
} from '@taskflow/contracts';
import type { z } from 'zod';
import { claimNextTask, heartbeatTask } from '../services/claim-next';
import { addDependency, removeDependency } from '../services/dependencies';
import {
  assignTask,
  countTasks,
  createTask,
  deleteTask,
  getTask,
  listTasks,
  updateTask,
} from '../services/tasks';
import { type MoveInput, moveTask } from '../services/workflow';
import { protectedMutation, protectedProcedure, router } from '../trpc';

function moveProcedure<S extends z.ZodType>(action: TaskAction, input: S) {
  return protectedMutation
    .input(input)
    .output(TaskSchema)
    .mutation(({ ctx, input }) => moveTask(ctx.trx, ctx.actor, action, input as MoveInput));
}
type MoveProcedure<S extends z.ZodType> = ReturnType<typeof moveProcedure<S>>;

/** tasks.start, tasks.progress, ...: each typed by its own row's input schema. */
const moveProcedures = Object.fromEntries(
  TASK_ACTIONS.map((action) => [action, moveProcedure(action, MOVES[action].input)]),
) as { [A in TaskAction]: MoveProcedure<(typeof MOVES)[A]['input']> };

export const tasksRouter = router({
  create: protectedMutation
    .input(TaskCreateInput)
    .output(TaskSchema)
    .mutation(({ ctx, input }) => createTask(ctx.trx, ctx.actor, input)),
  list: protectedProcedure
    .input(TaskListInput)
    .output(pageOf(TaskSchema))
    .query(({ ctx, input }) => listTasks(ctx.db, ctx.actor, input)),
  counts: protectedProcedure
    .input(TaskCountsInput)
    .output(TaskCountsSchema)
    .query(({ ctx, input }) => countTasks(ctx.db, ctx.actor, input)),
  get: protectedProcedure
    .input(TaskIdInput)
    .output(TaskSchema)
    .query(({ ctx, input }) => getTask(ctx.db, ctx.actor, input.id)),
  update: protectedMutation
    .input(TaskUpdateInput)
    .output(TaskSchema)
    .mutation(({ ctx, input }) => updateTask(ctx.trx, ctx.actor, input)),
  assign: protectedMutation
    .input(TaskAssignInput)
    .output(TaskSchema)
    .mutation(({ ctx, input }) => assignTask(ctx.trx, ctx.actor, input)),
  delete: protectedMutation
    .input(TaskDeleteInput)
    .output(TaskDeleteResult)
    .mutation(({ ctx, input }) => deleteTask(ctx.trx, ctx.actor, input)),
  addDependency: protectedMutation
    .input(TaskDependencyInput)
    .output(TaskSchema)
    .mutation(({ ctx, input }) => addDependency(ctx.trx, ctx.actor, input)),
  removeDependency: protectedMutation
    .input(TaskDependencyInput)
    .output(TaskSchema)
    .mutation(({ ctx, input }) => removeDependency(ctx.trx, ctx.actor, input)),

  // The workflow: one procedure per row of the shared MOVES table.
  ...moveProcedures,

  // The work queue: take the next ready task; keep a claim's lease alive.
  claimNext: protectedMutation
    .input(TaskClaimNextInput)
    .output(TaskSchema.nullable())
    .mutation(({ ctx, input }) => claimNextTask(ctx.trx, ctx.actor, input)),
  heartbeat: protectedMutation
    .input(TaskHeartbeatInput)
    .output(TaskSchema)
    .mutation(({ ctx, input }) => heartbeatTask(ctx.trx, ctx.actor, input)),
});

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
import { sync } from '../sync-parse';
import { protectedMutation, protectedProcedure, router } from '../trpc';

function moveProcedure<S extends z.ZodType>(action: TaskAction, input: S) {
  return protectedMutation
    .input(sync(input))
    .output(sync(TaskSchema))
    .mutation(({ ctx, input }) => moveTask(ctx.trx, ctx.actor, action, input as MoveInput));
}
type MoveProcedure<S extends z.ZodType> = ReturnType<typeof moveProcedure<S>>;

/** tasks.start, tasks.progress, ...: each typed by its own row's input schema. */
const moveProcedures = Object.fromEntries(
  TASK_ACTIONS.map((action) => [action, moveProcedure(action, MOVES[action].input)]),
) as { [A in TaskAction]: MoveProcedure<(typeof MOVES)[A]['input']> };

export const tasksRouter = router({
  create: protectedMutation
    .input(sync(TaskCreateInput))
    .output(sync(TaskSchema))
    .mutation(({ ctx, input }) => createTask(ctx.trx, ctx.actor, input)),
  list: protectedProcedure
    .input(sync(TaskListInput))
    .output(sync(pageOf(TaskSchema)))
    .query(({ ctx, input }) => listTasks(ctx.db, ctx.actor, input, ctx.scopes)),
  counts: protectedProcedure
    .input(sync(TaskCountsInput))
    .output(sync(TaskCountsSchema))
    .query(({ ctx, input }) => countTasks(ctx.db, ctx.actor, input, ctx.scopes)),
  get: protectedProcedure
    .input(sync(TaskIdInput))
    .output(sync(TaskSchema))
    .query(({ ctx, input }) => getTask(ctx.db, ctx.actor, input.id)),
  update: protectedMutation
    .input(sync(TaskUpdateInput))
    .output(sync(TaskSchema))
    .mutation(({ ctx, input }) => updateTask(ctx.trx, ctx.actor, input)),
  assign: protectedMutation
    .input(sync(TaskAssignInput))
    .output(sync(TaskSchema))
    .mutation(({ ctx, input }) => assignTask(ctx.trx, ctx.actor, input)),
  delete: protectedMutation
    .input(sync(TaskDeleteInput))
    .output(sync(TaskDeleteResult))
    .mutation(({ ctx, input }) => deleteTask(ctx.trx, ctx.actor, input)),
  addDependency: protectedMutation
    .input(sync(TaskDependencyInput))
    .output(sync(TaskSchema))
    .mutation(({ ctx, input }) => addDependency(ctx.trx, ctx.actor, input)),
  removeDependency: protectedMutation
    .input(sync(TaskDependencyInput))
    .output(sync(TaskSchema))
    .mutation(({ ctx, input }) => removeDependency(ctx.trx, ctx.actor, input)),

  // The workflow: one procedure per row of the shared MOVES table.
  ...moveProcedures,

  // The work queue: take the next ready task; keep a claim's lease alive.
  claimNext: protectedMutation
    .input(sync(TaskClaimNextInput))
    .output(sync(TaskSchema.nullable()))
    .mutation(({ ctx, input }) => claimNextTask(ctx.trx, ctx.actor, input)),
  heartbeat: protectedMutation
    .input(sync(TaskHeartbeatInput))
    .output(sync(TaskSchema))
    .mutation(({ ctx, input }) => heartbeatTask(ctx.trx, ctx.actor, input)),
});

import {
  TaskAssignInput,
  TaskBlockInput,
  TaskCompleteInput,
  TaskCreateInput,
  TaskDeleteInput,
  TaskDeleteResult,
  TaskIdInput,
  TaskListInput,
  TaskProgressInput,
  TaskReopenInput,
  TaskRequestChangesInput,
  TaskSchema,
  TaskStartInput,
  TaskSubmitForReviewInput,
  TaskUnblockInput,
  TaskUpdateInput,
} from '@taskflow/contracts';
import { z } from 'zod';
import {
  assignTask,
  createTask,
  deleteTask,
  getTask,
  listTasks,
  updateTask,
} from '../services/tasks';
import { moveTask } from '../services/workflow';
import { protectedMutation, protectedProcedure, router } from '../trpc';

export const tasksRouter = router({
  create: protectedMutation
    .input(TaskCreateInput)
    .output(TaskSchema)
    .mutation(({ ctx, input }) => createTask(ctx.trx, ctx.actor, input)),
  list: protectedProcedure
    .input(TaskListInput)
    .output(z.array(TaskSchema))
    .query(({ ctx, input }) => listTasks(ctx.db, ctx.actor, input)),
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

  // The workflow: one procedure per move of the shared transition table.
  start: protectedMutation
    .input(TaskStartInput)
    .output(TaskSchema)
    .mutation(({ ctx, input }) => moveTask(ctx.trx, ctx.actor, 'start', input)),
  progress: protectedMutation
    .input(TaskProgressInput)
    .output(TaskSchema)
    .mutation(({ ctx, input }) => moveTask(ctx.trx, ctx.actor, 'progress', input)),
  submitForReview: protectedMutation
    .input(TaskSubmitForReviewInput)
    .output(TaskSchema)
    .mutation(({ ctx, input }) => moveTask(ctx.trx, ctx.actor, 'submitForReview', input)),
  requestChanges: protectedMutation
    .input(TaskRequestChangesInput)
    .output(TaskSchema)
    .mutation(({ ctx, input }) => moveTask(ctx.trx, ctx.actor, 'requestChanges', input)),
  complete: protectedMutation
    .input(TaskCompleteInput)
    .output(TaskSchema)
    .mutation(({ ctx, input }) => moveTask(ctx.trx, ctx.actor, 'complete', input)),
  reopen: protectedMutation
    .input(TaskReopenInput)
    .output(TaskSchema)
    .mutation(({ ctx, input }) => moveTask(ctx.trx, ctx.actor, 'reopen', input)),
  block: protectedMutation
    .input(TaskBlockInput)
    .output(TaskSchema)
    .mutation(({ ctx, input }) => moveTask(ctx.trx, ctx.actor, 'block', input)),
  unblock: protectedMutation
    .input(TaskUnblockInput)
    .output(TaskSchema)
    .mutation(({ ctx, input }) => moveTask(ctx.trx, ctx.actor, 'unblock', input)),
});

import {
  MeSchema,
  pageOf,
  WorkerListInput,
  WorkerSchema,
  WorkerUpsertInput,
} from '@taskflow/contracts';
import { getWorkerRow, listWorkers, me, upsertWorker } from '../services/workers';
import { sync } from '../sync-parse';
import { adminMutation, protectedProcedure, router } from '../trpc';

export const workersRouter = router({
  me: protectedProcedure.output(sync(MeSchema)).query(async ({ ctx }) => {
    const row = await getWorkerRow(ctx.db, ctx.actor.id);
    if (!row) throw new Error('the caller has no worker record');
    return me(ctx.actor, row);
  }),
  list: protectedProcedure
    .input(sync(WorkerListInput))
    .output(sync(pageOf(WorkerSchema)))
    .query(({ ctx, input }) => listWorkers(ctx.db, ctx.actor, input)),
  upsert: adminMutation
    .input(sync(WorkerUpsertInput))
    .output(sync(WorkerSchema))
    .mutation(({ ctx, input }) => upsertWorker(ctx.trx, ctx.actor, input)),
});

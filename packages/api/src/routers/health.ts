import { sql } from '@taskflow/db';
import { z } from 'zod';
import { sync } from '../sync-parse';
import { publicProcedure, router } from '../trpc';

export const healthRouter = router({
  /** Liveness: the process answers. */
  live: publicProcedure
    .output(sync(z.object({ status: z.literal('ok') })))
    .query(() => ({ status: 'ok' as const })),
  /** Readiness: the database answers (503 otherwise, via the error translation). */
  db: publicProcedure
    .output(sync(z.object({ status: z.literal('ok'), database: z.literal('ok') })))
    .query(async ({ ctx }) => {
      await sql`select 1`.execute(ctx.db);
      return { status: 'ok' as const, database: 'ok' as const };
    }),
});

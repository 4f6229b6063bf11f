import { AuditEntrySchema, AuditListInput, pageOf } from '@taskflow/contracts';
import { listTaskAudit } from '../services/audit';
import { sync } from '../sync-parse';
import { protectedProcedure, router } from '../trpc';

export const auditRouter = router({
  list: protectedProcedure
    .input(sync(AuditListInput))
    .output(sync(pageOf(AuditEntrySchema)))
    .query(({ ctx, input }) => listTaskAudit(ctx.db, ctx.actor, input)),
});

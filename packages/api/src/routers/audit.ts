import { AuditEntrySchema, AuditListInput, pageOf } from '@taskflow/contracts';
import { listTaskAudit } from '../services/audit';
import { protectedProcedure, router } from '../trpc';

export const auditRouter = router({
  list: protectedProcedure
    .input(AuditListInput)
    .output(pageOf(AuditEntrySchema))
    .query(({ ctx, input }) => listTaskAudit(ctx.db, ctx.actor, input)),
});

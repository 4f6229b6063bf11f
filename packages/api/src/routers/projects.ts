import {
  MemberRemovedResult,
  ProjectAddMemberInput,
  ProjectCreateInput,
  ProjectDetailSchema,
  ProjectListInput,
  ProjectRemoveMemberInput,
  ProjectSchema,
  ProjectSlugInput,
  ProjectUpdateInput,
  pageOf,
} from '@taskflow/contracts';
import {
  addMember,
  createProject,
  getProject,
  listProjects,
  removeMember,
  updateProject,
} from '../services/projects';
import { protectedMutation, protectedProcedure, router } from '../trpc';

export const projectsRouter = router({
  create: protectedMutation
    .input(ProjectCreateInput)
    .output(ProjectSchema)
    .mutation(({ ctx, input }) => createProject(ctx.trx, ctx.actor, input)),
  list: protectedProcedure
    .input(ProjectListInput)
    .output(pageOf(ProjectSchema))
    .query(({ ctx, input }) => listProjects(ctx.db, ctx.actor, input)),
  get: protectedProcedure
    .input(ProjectSlugInput)
    .output(ProjectDetailSchema)
    .query(({ ctx, input }) => getProject(ctx.db, ctx.actor, input.slug)),
  update: protectedMutation
    .input(ProjectUpdateInput)
    .output(ProjectSchema)
    .mutation(({ ctx, input }) => updateProject(ctx.trx, ctx.actor, input)),
  addMember: protectedMutation
    .input(ProjectAddMemberInput)
    .output(ProjectDetailSchema)
    .mutation(({ ctx, input }) => addMember(ctx.trx, ctx.actor, input)),
  removeMember: protectedMutation
    .input(ProjectRemoveMemberInput)
    .output(MemberRemovedResult)
    .mutation(({ ctx, input }) => removeMember(ctx.trx, ctx.actor, input)),
});

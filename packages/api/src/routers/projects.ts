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
import { sync } from '../sync-parse';
import { protectedMutation, protectedProcedure, router } from '../trpc';

export const projectsRouter = router({
  create: protectedMutation
    .input(sync(ProjectCreateInput))
    .output(sync(ProjectSchema))
    .mutation(({ ctx, input }) => createProject(ctx.trx, ctx.actor, input)),
  list: protectedProcedure
    .input(sync(ProjectListInput))
    .output(sync(pageOf(ProjectSchema)))
    .query(({ ctx, input }) => listProjects(ctx.db, ctx.actor, input)),
  get: protectedProcedure
    .input(sync(ProjectSlugInput))
    .output(sync(ProjectDetailSchema))
    .query(({ ctx, input }) => getProject(ctx.db, ctx.actor, input.slug)),
  update: protectedMutation
    .input(sync(ProjectUpdateInput))
    .output(sync(ProjectSchema))
    .mutation(({ ctx, input }) => updateProject(ctx.trx, ctx.actor, input)),
  addMember: protectedMutation
    .input(sync(ProjectAddMemberInput))
    .output(sync(ProjectDetailSchema))
    .mutation(({ ctx, input }) => addMember(ctx.trx, ctx.actor, input)),
  removeMember: protectedMutation
    .input(sync(ProjectRemoveMemberInput))
    .output(sync(MemberRemovedResult))
    .mutation(({ ctx, input }) => removeMember(ctx.trx, ctx.actor, input)),
});

import {
  type ChangeFilter,
  ChangeListInput,
  ChangePageSchema,
  ChangeStreamInput,
} from '@taskflow/contracts';
import { TRPCError, tracked } from '@trpc/server';
import type { Context } from '../context';
import { type ChangeHub, StreamLimitExceeded } from '../events/change-hub';
import { changeStream } from '../events/change-stream';
import { MembershipView } from '../events/visibility';
import { requireVisibleProject } from '../services/access';
import type { Actor } from '../services/actor';
import { sync } from '../sync-parse';
import { protectedProcedure, router } from '../trpc';

function hubOf(ctx: Context): ChangeHub {
  if (!ctx.changes)
    throw new TRPCError({
      code: 'SERVICE_UNAVAILABLE',
      message: 'The change feed is not running in this process',
    });
  return ctx.changes;
}

/** A project filter names a project the caller may see, or it does not exist (404). */
async function checkedFilter(
  ctx: Context & { actor: Actor },
  input: ChangeFilter,
): Promise<ChangeFilter> {
  if (input.project_slug !== undefined)
    await requireVisibleProject(ctx.db, ctx.actor, input.project_slug);
  return { project_slug: input.project_slug, task_id: input.task_id };
}

export const eventsRouter = router({
  /**
   * Live changes over SSE, each sent with tracked(id): a client reconnecting with its
   * last id (tRPC sends it as lastEventId) gets everything after it, nothing twice.
   * Everything that can refuse the call (auth, project, stream limit) runs before the
   * stream starts.
   */
  onChange: protectedProcedure
    .input(sync(ChangeStreamInput))
    .subscription(async ({ ctx, input, signal }) => {
      const hub = hubOf(ctx);
      const filter = await checkedFilter(ctx, input);
      await hub.start();
      const view = new MembershipView(ctx.db, { id: ctx.actor.id, is_admin: ctx.actor.is_admin });
      // The reader's projects as of now: later events are judged as they come.
      await view.projects();
      // "From now" is fixed here, before the client hears the stream has started.
      const after = input.lastEventId == null ? hub.horizon : Number(input.lastEventId);
      let slot: ReturnType<ChangeHub['openStream']>;
      try {
        slot = hub.openStream(ctx.actor.id, ctx.streamGuard, ctx.credentialsExpireAt);
      } catch (error) {
        if (error instanceof StreamLimitExceeded)
          throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: error.message, cause: error });
        throw error;
      }
      // A stream abandoned before its first read still gives its slot back.
      signal?.addEventListener('abort', () => slot.release(), { once: true });
      // A caller gone while the stream was set up fired its abort already: nobody reads on.
      if (signal?.aborted) slot.release();
      return (async function* () {
        for await (const event of changeStream(hub, slot, view, filter, after))
          yield tracked(String(event.id), event);
      })();
    }),

  /**
   * The settled events after a cursor, oldest first: for catching up by polling (an
   * agent's get_changes). Never returns an id the live feed has not reached, so a
   * reader that pages with next_cursor misses nothing that commits late.
   */
  list: protectedProcedure
    .input(sync(ChangeListInput))
    .output(sync(ChangePageSchema))
    .query(async ({ ctx, input }) => {
      const hub = hubOf(ctx);
      const filter = await checkedFilter(ctx, input);
      await hub.start();
      const view = new MembershipView(ctx.db, { id: ctx.actor.id, is_admin: ctx.actor.is_admin });
      const batch = await hub.eventsAfter(input.after ?? 0, filter, view, input.limit);
      return { items: batch.events, next_cursor: batch.cursor };
    }),
});

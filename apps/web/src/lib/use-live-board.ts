import { useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useEffect, useRef } from 'react';
import { invalidateBoard } from '../components/use-board-data';
import { useTRPC } from './trpc';

/** What the board shows of its live connection. */
export type LiveState = 'connecting' | 'live' | 'offline';

// A burst of changes (an agent working through a list) refetches once, not once per change.
const SETTLE_MS = 100;

/**
 * Keeps the board current: follows events.onChange (for one project, or every project
 * the user sees) and refreshes what a change touches. A dropped stream reconnects with
 * its last event id and is sent what it missed, so the board catches up by itself.
 */
export function useLiveBoard(projectSlug: string | undefined): LiveState {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const projectsChanged = useRef(false);

  useEffect(() => () => clearTimeout(timer.current), []);

  const refresh = (projects: boolean) => {
    projectsChanged.current ||= projects;
    clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      void invalidateBoard(queryClient);
      void queryClient.invalidateQueries(trpc.tasks.pathFilter());
      void queryClient.invalidateQueries(trpc.audit.pathFilter());
      if (projectsChanged.current) void queryClient.invalidateQueries(trpc.projects.pathFilter());
      projectsChanged.current = false;
    }, SETTLE_MS);
  };

  const subscription = useSubscription(
    trpc.events.onChange.subscriptionOptions(projectSlug ? { project_slug: projectSlug } : {}, {
      onData: ({ data: event }) => refresh(event.task_id === null),
    }),
  );
  // 'pending' is tRPC's word for a stream that is open and delivering.
  return subscription.status === 'pending'
    ? 'live'
    : subscription.status === 'error'
      ? 'offline'
      : 'connecting';
}

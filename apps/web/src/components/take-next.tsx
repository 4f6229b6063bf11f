import { useMutation, useQueryClient } from '@tanstack/react-query';
import { toProblem } from '../lib/errors';
import { useTRPC, useTRPCClient } from '../lib/trpc';
import { useBoard } from './board-context';
import { useToast } from './toasts';
import { invalidateBoard } from './use-board-data';

/**
 * "Take next": the same tasks.claimNext an agent calls (taskflow next, claim_next_task),
 * within the project the board shows, if one is chosen. Opens the task it started.
 */
export function TakeNextButton() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { view, setView } = useBoard();
  const take = useMutation({
    mutationFn: () =>
      client.tasks.claimNext.mutate(view.project ? { project_slug: view.project } : {}),
    onSuccess: (task) => {
      if (!task) {
        toast('info', 'Nothing is ready for you to take');
        return;
      }
      void invalidateBoard(queryClient);
      void queryClient.invalidateQueries({ queryKey: trpc.tasks.list.queryKey() });
      queryClient.setQueryData(trpc.tasks.get.queryKey({ id: task.id }), task);
      toast('info', `Started "${task.title}"`);
      setView({ task: task.id });
    },
    onError: (e) => toast('error', toProblem(e).message),
  });
  return (
    <button
      type="button"
      onClick={() => take.mutate()}
      disabled={take.isPending}
      title="Start the most urgent, oldest task that is ready and yours or unassigned"
    >
      Take next
    </button>
  );
}

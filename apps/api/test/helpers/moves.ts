import type { TaskAction } from '@taskflow/contracts';
import type { Client } from './harness';

/** Makes one workflow move with the smallest valid input for it. */
export function move(client: Client, action: TaskAction, id: number) {
  switch (action) {
    case 'start':
      return client.tasks.start.mutate({ id });
    case 'progress':
      return client.tasks.progress.mutate({ id, percent: 50, note: 'halfway' });
    case 'submitForReview':
      return client.tasks.submitForReview.mutate({ id });
    case 'requestChanges':
      return client.tasks.requestChanges.mutate({ id, note: 'please fix' });
    case 'complete':
      return client.tasks.complete.mutate({ id });
    case 'reopen':
      return client.tasks.reopen.mutate({ id, note: 'again' });
    case 'block':
      return client.tasks.block.mutate({ id, reason: 'stuck' });
    case 'unblock':
      return client.tasks.unblock.mutate({ id });
  }
}

import type { ChangeEvent } from '@taskflow/contracts';
import { int, str } from './args';
import type { Command } from './commands';
import { CliError, EXIT } from './exit-codes';

/** A whole number, not negative (--since 0 is the start of the log). */
function wholeNumber(value: string | undefined, flag: string): number | undefined {
  const n = int(value, flag);
  if (n !== undefined && n < 0)
    throw new CliError(`${flag} must be a whole number, not "${value}"`, EXIT.usage);
  return n;
}

/** One change as a line: when, who (and through what), what, and the task as it is now. */
export function changeLine(e: ChangeEvent): string {
  const at = e.created_at.slice(11, 19);
  const who = `${e.actor_type} ${e.actor_id}${e.client ? ` (${e.client})` : ''}`;
  const task = e.task
    ? ` #${e.task.id} "${e.task.title}" [${e.task.status}${e.task.assigned_to ? `, ${e.task.assigned_to}` : ''}]`
    : e.task_id
      ? ` #${e.task_id} (deleted)`
      : '';
  const where = e.project_slug ? `  ${e.project_slug}` : '';
  return `${e.id}  ${at}  ${e.action}${task}  by ${who}${where}`;
}

/**
 * `taskflow watch`: the live change feed (events.onChange over server-sent events), one
 * line per change (--json: one JSON object per line), until Ctrl-C. A dropped connection
 * is resumed from the last event seen, so nothing is missed or printed twice.
 */
export const WATCH_COMMANDS: Command[] = [
  {
    name: 'watch',
    procedure: 'events.onChange',
    summary: 'Print changes as they happen (Ctrl-C to stop)',
    options: {
      project: { type: 'string', short: 'p' },
      task: { type: 'string' },
      since: { type: 'string' },
    },
    run: (ctx, values) => {
      const project = str(values.project);
      const task = wholeNumber(str(values.task), '--task');
      const since = wholeNumber(str(values.since), '--since');
      return new Promise((resolve, reject) => {
        const stop = () => {
          subscription.unsubscribe();
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve({ data: undefined, text: '' });
        };
        const subscription = ctx.client().events.onChange.subscribe(
          {
            ...(project && { project_slug: project }),
            ...(task && { task_id: task }),
            ...(since !== undefined && { lastEventId: String(since) }),
          },
          {
            onData: ({ data }) => ctx.out(ctx.json ? JSON.stringify(data) : changeLine(data)),
            onError: (error) => {
              process.off('SIGINT', stop);
              process.off('SIGTERM', stop);
              reject(error);
            },
            onConnectionStateChange: (state) => {
              if (state.state === 'connecting' && state.error)
                ctx.err(`taskflow watch: reconnecting (${state.error.message})`);
            },
          },
        );
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    },
  },
];

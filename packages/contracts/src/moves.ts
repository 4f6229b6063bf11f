import type { z } from 'zod';
import { MOVE_CLAIM_FIELDS } from './lease';
import {
  TaskBlockInput,
  TaskCompleteInput,
  TaskProgressInput,
  TaskReopenInput,
  TaskRequestChangesInput,
  TaskStartInput,
  TaskSubmitForReviewInput,
  TaskUnblockInput,
} from './task';
import type { TaskAction } from './workflow';

/** How one workflow move shows on every surface; TRANSITIONS says what it does. */
export interface MoveSurfaces {
  /** What the procedure takes: the task's id, expected_version and the move's own fields. */
  input: z.ZodType;
  /** POST /api/tasks/{id}/<rest> */
  rest: string;
  /** Also reads its fields from the query string (the original design's `?percent=`). */
  restQuery?: boolean;
  /** `taskflow <cli> ID ...` */
  cli: string;
  /** The MCP tool agents call. */
  mcp: string;
  /** One line for REST documents and `taskflow --help`. */
  summary: string;
  description?: string;
  /** The MCP tool's description: what an agent needs to know to call it well. */
  forAgents: string;
  /** What was done, as a confirmation starts: "Started task 7: ...". */
  done: string;
}

/**
 * The eight moves, one row each: the router's move procedures and the REST
 * routes are built from it, and a contract test holds the CLI, the MCP tools
 * and the web app to it. Adding a move is a row here, its schema and its
 * TRANSITIONS entry.
 */
export const MOVES = {
  start: {
    input: TaskStartInput,
    rest: 'start',
    cli: 'start',
    mcp: 'claim_task',
    summary: 'Start (claim) a task',
    description: 'Exactly one of any number of concurrent starts wins; the others get 409.',
    forAgents:
      'Claim a pending task and start it (it becomes yours). If someone claimed it first you get an error saying so.',
    done: 'Started',
  },
  progress: {
    input: TaskProgressInput,
    rest: 'progress',
    restQuery: true,
    cli: 'progress',
    mcp: 'update_progress',
    summary: 'Report progress (percent 0..100, note)',
    description:
      'percent and note may come as query parameters (?percent=50&note=x) or as a JSON body.',
    forAgents: 'Report progress (0-100) on a task you are working on, with a note.',
    done: 'Progress on',
  },
  submitForReview: {
    input: TaskSubmitForReviewInput,
    rest: 'review',
    cli: 'review',
    mcp: 'submit_for_review',
    summary: 'Submit for review',
    forAgents: 'Submit your in-progress task for review.',
    done: 'Submitted',
  },
  requestChanges: {
    input: TaskRequestChangesInput,
    rest: 'request-changes',
    cli: 'request-changes',
    mcp: 'request_changes',
    summary: 'Request changes (note required)',
    forAgents: 'Send a task in review back to its assignee, with a note saying what to change.',
    done: 'Changes requested on',
  },
  complete: {
    input: TaskCompleteInput,
    rest: 'complete',
    cli: 'complete',
    mcp: 'complete_task',
    summary: 'Complete (progress becomes 100)',
    forAgents: 'Complete a task (in progress, or in review as its reviewer).',
    done: 'Completed',
  },
  reopen: {
    input: TaskReopenInput,
    rest: 'reopen',
    cli: 'reopen',
    mcp: 'reopen_task',
    summary: 'Reopen a completed task into review (note required)',
    forAgents: 'Reopen a completed task into review, with a note saying why.',
    done: 'Reopened',
  },
  block: {
    input: TaskBlockInput,
    rest: 'block',
    cli: 'block',
    mcp: 'block_task',
    summary: 'Block (reason required)',
    forAgents: 'Mark a task blocked, with the reason.',
    done: 'Blocked',
  },
  unblock: {
    input: TaskUnblockInput,
    rest: 'unblock',
    cli: 'unblock',
    mcp: 'unblock_task',
    summary: 'Unblock: back to the status it had',
    forAgents: 'Unblock a task: it returns to the status it had.',
    done: 'Unblocked',
  },
} as const satisfies Record<TaskAction, MoveSurfaces>;

/** One of a move's own fields (besides the task's id, expected_version and the claim's fields). */
export interface MoveField {
  name: string;
  kind: 'number' | 'text';
  required: boolean;
}

/** A move's own fields, read off its row's schema: what a form or a command line asks for. */
export function moveFields(action: TaskAction): MoveField[] {
  const shape = (MOVES[action].input as z.ZodObject).shape;
  return Object.entries(shape)
    .filter(
      ([name]) =>
        name !== 'id' &&
        name !== 'expected_version' &&
        !(MOVE_CLAIM_FIELDS as readonly string[]).includes(name),
    )
    .map(([name, schema]) => {
      const def = schema._zod.def as { type: string; innerType?: z.ZodType };
      const inner = def.type === 'optional' && def.innerType ? def.innerType._zod.def : def;
      return {
        name,
        kind: inner.type === 'number' ? 'number' : 'text',
        required: def.type !== 'optional',
      };
    });
}

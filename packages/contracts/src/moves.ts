import type { z } from 'zod';
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
  summary: string;
  description?: string;
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
  },
  submitForReview: {
    input: TaskSubmitForReviewInput,
    rest: 'review',
    cli: 'review',
    mcp: 'submit_for_review',
    summary: 'Submit for review',
  },
  requestChanges: {
    input: TaskRequestChangesInput,
    rest: 'request-changes',
    cli: 'request-changes',
    mcp: 'request_changes',
    summary: 'Request changes (note required)',
  },
  complete: {
    input: TaskCompleteInput,
    rest: 'complete',
    cli: 'complete',
    mcp: 'complete_task',
    summary: 'Complete (progress becomes 100)',
  },
  reopen: {
    input: TaskReopenInput,
    rest: 'reopen',
    cli: 'reopen',
    mcp: 'reopen_task',
    summary: 'Reopen a completed task into review (note required)',
  },
  block: {
    input: TaskBlockInput,
    rest: 'block',
    cli: 'block',
    mcp: 'block_task',
    summary: 'Block (reason required)',
  },
  unblock: {
    input: TaskUnblockInput,
    rest: 'unblock',
    cli: 'unblock',
    mcp: 'unblock_task',
    summary: 'Unblock: back to the status it had',
  },
} as const satisfies Record<TaskAction, MoveSurfaces>;

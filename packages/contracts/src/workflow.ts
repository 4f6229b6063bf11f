import type { AuditAction } from './audit';
import type { TaskStatus } from './enums';

/**
 * Who may make a move, besides admins (who always may):
 * - member: any member of the task's project
 * - assignee: the worker the task is assigned to
 * - non_assignee: a member other than the assignee (a reviewer)
 * - member_if_unassigned: any member, while nobody is assigned
 */
export type WhoRule = 'member' | 'assignee' | 'non_assignee' | 'member_if_unassigned';

export const TASK_ACTIONS = [
  'start',
  'progress',
  'submitForReview',
  'requestChanges',
  'complete',
  'reopen',
  'block',
  'unblock',
] as const;
export type TaskAction = (typeof TASK_ACTIONS)[number];

export interface Transition {
  /** Allowed source statuses, each with who may make the move from there. */
  from: Partial<Record<TaskStatus, readonly WhoRule[]>>;
  /** The target status; 'previous' returns to the status before the block. */
  to: TaskStatus | 'previous';
  /** Verb phrase for messages: "Cannot {verb} task with status 'x'". */
  verb: string;
  /** Button / command label. */
  label: string;
  audit: AuditAction;
}

/** The task workflow of DESIGN.md, as data: the server enforces it, clients show it. */
export const TRANSITIONS: Readonly<Record<TaskAction, Transition>> = {
  start: {
    from: { pending: ['member'] },
    to: 'in_progress',
    verb: 'start',
    label: 'Start',
    audit: 'started',
  },
  progress: {
    from: { in_progress: ['assignee'] },
    to: 'in_progress',
    verb: 'report progress on',
    label: 'Report progress',
    audit: 'progress',
  },
  submitForReview: {
    from: { in_progress: ['assignee'] },
    to: 'review',
    verb: 'submit for review',
    label: 'Submit for review',
    audit: 'submitted_for_review',
  },
  requestChanges: {
    from: { review: ['non_assignee'] },
    to: 'in_progress',
    verb: 'request changes on',
    label: 'Request changes',
    audit: 'changes_requested',
  },
  complete: {
    // In review the reviewer (any other member) may complete it too.
    from: { in_progress: ['assignee'], review: ['assignee', 'non_assignee'] },
    to: 'completed',
    verb: 'complete',
    label: 'Complete',
    audit: 'completed',
  },
  reopen: {
    from: { completed: ['member'] },
    to: 'review',
    verb: 'reopen',
    label: 'Reopen',
    audit: 'reopened',
  },
  block: {
    from: { pending: ['member'], in_progress: ['assignee'] },
    to: 'blocked',
    verb: 'block',
    label: 'Block',
    audit: 'blocked',
  },
  unblock: {
    from: { blocked: ['assignee', 'member_if_unassigned'] },
    to: 'previous',
    verb: 'unblock',
    label: 'Unblock',
    audit: 'unblocked',
  },
};

export interface WorkflowTask {
  status: TaskStatus;
  assigned_to: string | null;
}

/** The caller, who must already be a member of the task's project (or an admin). */
export interface WorkflowActor {
  id: string;
  is_admin: boolean;
}

export type TransitionCheck =
  | { ok: true }
  | { ok: false; reason: 'status' | 'forbidden'; message: string };

function ruleAllows(rule: WhoRule, task: WorkflowTask, actor: WorkflowActor): boolean {
  switch (rule) {
    case 'member':
      return true;
    case 'assignee':
      return task.assigned_to === actor.id;
    case 'non_assignee':
      return task.assigned_to !== actor.id;
    case 'member_if_unassigned':
      return task.assigned_to === null;
  }
}

const RULE_WORDS: Record<WhoRule, string> = {
  member: 'a project member',
  assignee: 'the assignee',
  non_assignee: 'a member other than the assignee',
  member_if_unassigned: 'any member while the task is unassigned',
};

export function statusConflictMessage(action: TaskAction, status: TaskStatus): string {
  return `Cannot ${TRANSITIONS[action].verb} task with status '${status}'`;
}

/** Decides one move: the status must allow it (else 409), then the actor (else 403). */
export function checkTransition(
  action: TaskAction,
  task: WorkflowTask,
  actor: WorkflowActor,
): TransitionCheck {
  const rules = TRANSITIONS[action].from[task.status];
  if (!rules)
    return { ok: false, reason: 'status', message: statusConflictMessage(action, task.status) };
  if (actor.is_admin || rules.some((r) => ruleAllows(r, task, actor))) return { ok: true };
  const who = [...rules.map((r) => RULE_WORDS[r]), 'an admin'].join(' or ');
  return {
    ok: false,
    reason: 'forbidden',
    message: `Only ${who} can ${TRANSITIONS[action].verb} this task while it is '${task.status}'`,
  };
}

/**
 * The moves this actor may make on this task now: what a client should offer. A task
 * that waits for unfinished dependencies (`waiting_for`) cannot be started yet.
 */
export function availableActions(
  task: WorkflowTask & { waiting_for?: readonly number[] },
  actor: WorkflowActor,
): TaskAction[] {
  const waiting = (task.waiting_for?.length ?? 0) > 0;
  return TASK_ACTIONS.filter(
    (a) => checkTransition(a, task, actor).ok && !(a === 'start' && waiting),
  );
}

/**
 * The move that takes this task to another status, if this actor may make one now:
 * what dropping a card on a column (or "Move to…") performs. None for the task's own
 * status (progress stays put) or a status no allowed move reaches.
 */
export function moveToStatus(
  task: WorkflowTask & { blocked_from: TaskStatus | null; waiting_for?: readonly number[] },
  status: TaskStatus,
  actor: WorkflowActor,
): TaskAction | undefined {
  if (status === task.status) return undefined;
  return availableActions(task, actor).find((a) => targetStatus(a, task.blocked_from) === status);
}

/** The status a move leads to; `blockedFrom` answers 'previous'. */
export function targetStatus(action: TaskAction, blockedFrom: TaskStatus | null): TaskStatus {
  const to = TRANSITIONS[action].to;
  if (to !== 'previous') return to;
  return blockedFrom ?? 'pending';
}

/** What a move reads of the task. Timestamps are ISO strings. */
export interface MoveState {
  status: TaskStatus;
  blocked_from: TaskStatus | null;
  started_at: string | null;
  progress_percent: number;
}

/** The fields a move changes: the server writes them, clients show them ahead of the answer. */
export interface MoveEffects {
  status: TaskStatus;
  assigned_to?: string;
  started_at?: string;
  progress_percent?: number;
  completed_at?: string | null;
  blocked_from?: TaskStatus | null;
  blocked_reason?: string | null;
}

export function moveEffects(
  action: TaskAction,
  task: MoveState,
  input: { percent?: number | undefined; reason?: string | undefined },
  actorId: string,
  now: string,
): MoveEffects {
  const status = targetStatus(action, task.blocked_from);
  switch (action) {
    case 'start':
      return { status, assigned_to: actorId, started_at: task.started_at ?? now };
    case 'progress':
      return { status, progress_percent: input.percent ?? task.progress_percent };
    case 'complete':
      return { status, progress_percent: 100, completed_at: now };
    case 'reopen':
      return { status, completed_at: null };
    case 'block':
      return { status, blocked_from: task.status, blocked_reason: input.reason ?? null };
    case 'unblock':
      return { status, blocked_from: null, blocked_reason: null };
    default:
      return { status };
  }
}

import { describe, expect, it } from 'vitest';
import { TASK_STATUSES, type TaskStatus } from '../src/enums';
import { moveFields } from '../src/moves';
import {
  availableActions,
  checkTransition,
  moveToStatus,
  TASK_ACTIONS,
  type TaskAction,
  targetStatus,
} from '../src/workflow';

// DESIGN.md's table, written out independently of TRANSITIONS.
const ALLOWED_FROM: Record<TaskAction, TaskStatus[]> = {
  start: ['pending'],
  progress: ['in_progress'],
  submitForReview: ['in_progress'],
  requestChanges: ['review'],
  complete: ['in_progress', 'review'],
  reopen: ['completed'],
  block: ['pending', 'in_progress'],
  unblock: ['blocked'],
};

const admin = { id: 'root', is_admin: true };
const assignee = { id: 'ann', is_admin: false };
const other = { id: 'bob', is_admin: false };

describe('transition table', () => {
  it.each(TASK_ACTIONS.flatMap((a) => TASK_STATUSES.map((s) => [a, s] as const)))(
    '%s from %s: allowed exactly where DESIGN.md says',
    (action, status) => {
      const result = checkTransition(action, { status, assigned_to: 'ann' }, admin);
      expect(result.ok).toBe(ALLOWED_FROM[action].includes(status));
      if (!result.ok) {
        expect(result.reason).toBe('status');
        expect(result.message).toContain(`with status '${status}'`);
      }
    },
  );

  it('phrases a start conflict the way clients show it', () => {
    const r = checkTransition('start', { status: 'in_progress', assigned_to: 'ann' }, other);
    expect(r).toEqual({
      ok: false,
      reason: 'status',
      message: "Cannot start task with status 'in_progress'",
    });
  });

  it('lets any member start, block a pending task and reopen', () => {
    expect(checkTransition('start', { status: 'pending', assigned_to: 'ann' }, other).ok).toBe(
      true,
    );
    expect(checkTransition('block', { status: 'pending', assigned_to: 'ann' }, other).ok).toBe(
      true,
    );
    expect(checkTransition('reopen', { status: 'completed', assigned_to: 'ann' }, other).ok).toBe(
      true,
    );
  });

  it('keeps progress, review submission and in-progress blocking to the assignee', () => {
    const t = { status: 'in_progress' as const, assigned_to: 'ann' };
    for (const action of ['progress', 'submitForReview', 'block', 'complete'] as const) {
      expect(checkTransition(action, t, assignee).ok).toBe(true);
      const r = checkTransition(action, t, other);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.reason).toBe('forbidden');
        expect(r.message).toMatch(/^Only the assignee or an admin can/);
      }
      expect(checkTransition(action, t, admin).ok).toBe(true);
    }
  });

  it('lets a reviewer but not the assignee request changes; both may complete from review', () => {
    const t = { status: 'review' as const, assigned_to: 'ann' };
    expect(checkTransition('requestChanges', t, other).ok).toBe(true);
    expect(checkTransition('requestChanges', t, assignee).ok).toBe(false);
    expect(checkTransition('requestChanges', { ...t, assigned_to: 'root' }, admin).ok).toBe(true);
    expect(checkTransition('complete', t, other).ok).toBe(true);
    expect(checkTransition('complete', t, assignee).ok).toBe(true);
  });

  it('lets anyone unblock an unassigned task, only the assignee an assigned one', () => {
    expect(checkTransition('unblock', { status: 'blocked', assigned_to: null }, other).ok).toBe(
      true,
    );
    expect(checkTransition('unblock', { status: 'blocked', assigned_to: 'ann' }, other).ok).toBe(
      false,
    );
    expect(checkTransition('unblock', { status: 'blocked', assigned_to: 'ann' }, assignee).ok).toBe(
      true,
    );
  });

  it('offers each actor only the moves that apply', () => {
    expect(availableActions({ status: 'pending', assigned_to: null }, other)).toEqual([
      'start',
      'block',
    ]);
    expect(availableActions({ status: 'in_progress', assigned_to: 'ann' }, assignee)).toEqual([
      'progress',
      'submitForReview',
      'complete',
      'block',
    ]);
    expect(availableActions({ status: 'in_progress', assigned_to: 'ann' }, other)).toEqual([]);
    // Waiting for an unfinished dependency: everything but start.
    expect(
      availableActions({ status: 'pending', assigned_to: null, waiting_for: [3] }, other),
    ).not.toContain('start');
    expect(
      availableActions({ status: 'pending', assigned_to: null, waiting_for: [] }, other),
    ).toContain('start');
    expect(availableActions({ status: 'review', assigned_to: 'ann' }, other)).toEqual([
      'requestChanges',
      'complete',
    ]);
  });

  it('returns a blocked task to the status it had', () => {
    expect(targetStatus('unblock', 'in_progress')).toBe('in_progress');
    expect(targetStatus('unblock', 'pending')).toBe('pending');
    expect(targetStatus('reopen', null)).toBe('review');
  });
});

describe('moveFields', () => {
  it('reads each move’s own fields off its schema', () => {
    expect(moveFields('start')).toEqual([]);
    expect(moveFields('progress')).toEqual([
      { name: 'percent', kind: 'number', required: true },
      { name: 'note', kind: 'text', required: false },
    ]);
    expect(moveFields('block')).toEqual([{ name: 'reason', kind: 'text', required: true }]);
    expect(moveFields('reopen')).toEqual([{ name: 'note', kind: 'text', required: true }]);
    expect(moveFields('complete')).toEqual([{ name: 'note', kind: 'text', required: false }]);
  });
});

describe('moveToStatus: the move a drop on a column performs', () => {
  const ann = { id: 'ann', is_admin: false };
  const bob = { id: 'bob', is_admin: false };
  const task = (
    status: TaskStatus,
    assigned_to: string | null,
    blocked_from: TaskStatus | null = null,
  ) => ({
    status,
    assigned_to,
    blocked_from,
  });

  it('finds the allowed move to each status, and none where the table has none', () => {
    expect(moveToStatus(task('pending', null), 'in_progress', ann)).toBe('start');
    expect(moveToStatus(task('pending', null), 'blocked', ann)).toBe('block');
    expect(moveToStatus(task('pending', null), 'review', ann)).toBeUndefined();
    expect(moveToStatus(task('pending', null), 'pending', ann)).toBeUndefined();
    expect(moveToStatus(task('in_progress', 'ann'), 'review', ann)).toBe('submitForReview');
    expect(moveToStatus(task('in_progress', 'ann'), 'completed', ann)).toBe('complete');
    expect(moveToStatus(task('review', 'ann'), 'in_progress', bob)).toBe('requestChanges');
    expect(moveToStatus(task('completed', 'ann'), 'review', bob)).toBe('reopen');
    expect(moveToStatus(task('blocked', 'ann', 'in_progress'), 'in_progress', ann)).toBe('unblock');
    expect(moveToStatus(task('blocked', 'ann', 'in_progress'), 'pending', ann)).toBeUndefined();
  });

  it('refuses what this actor may not do, and a start while dependencies are open', () => {
    expect(moveToStatus(task('in_progress', 'ann'), 'review', bob)).toBeUndefined();
    expect(moveToStatus(task('review', 'ann'), 'in_progress', ann)).toBeUndefined();
    expect(
      moveToStatus({ ...task('pending', null), waiting_for: [3] }, 'in_progress', ann),
    ).toBeUndefined();
  });
});

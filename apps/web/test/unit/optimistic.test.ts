import type { Task } from '@taskflow/contracts';
import { describe, expect, it } from 'vitest';
import {
  matchesFilters,
  movedCounts,
  optimisticTask,
  placeInColumn,
} from '../../src/lib/optimistic';

const base: Task = {
  id: 7,
  project_id: 1,
  project_slug: 'web',
  title: 'T',
  description: '',
  status: 'pending',
  priority: 'high',
  progress_percent: 0,
  tags: [],
  due_date: null,
  assigned_to: null,
  parent_id: null,
  created_by: 'ann',
  started_at: null,
  completed_at: null,
  blocked_from: null,
  blocked_reason: null,
  version: 1,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  lease_expires_at: null,
  claim_epoch: 0,
  blocked_by: [],
  blocks: [],
  waiting_for: [],
};

describe('optimistic moves', () => {
  it('claims on start and bumps the version', () => {
    const next = optimisticTask(base, 'start', {}, 'bob');
    expect(next).toMatchObject({ status: 'in_progress', assigned_to: 'bob', version: 2 });
    expect(next.started_at).not.toBeNull();
    expect(base.status).toBe('pending');
  });

  it('follows the workflow: progress, complete, block and unblock back', () => {
    const started = optimisticTask(base, 'start', {}, 'bob');
    expect(optimisticTask(started, 'progress', { percent: 60 }, 'bob').progress_percent).toBe(60);
    expect(optimisticTask(started, 'complete', {}, 'bob')).toMatchObject({
      status: 'completed',
      progress_percent: 100,
    });
    const blocked = optimisticTask(started, 'block', { reason: 'CI' }, 'bob');
    expect(blocked).toMatchObject({
      status: 'blocked',
      blocked_from: 'in_progress',
      blocked_reason: 'CI',
    });
    expect(optimisticTask(blocked, 'unblock', {}, 'bob')).toMatchObject({
      status: 'in_progress',
      blocked_from: null,
    });
  });

  it('moves a card between column caches', () => {
    const other = { ...base, id: 8 };
    const started = optimisticTask(base, 'start', {}, 'bob');
    expect(placeInColumn([[base, other]], started, 'pending', {})).toEqual([[other]]);
    expect(placeInColumn([[other], []], started, 'in_progress', {})).toEqual([
      [started, other],
      [],
    ]);
    // Filters still apply: a card for another project does not land in this view.
    expect(placeInColumn([[other]], started, 'in_progress', { project_slug: 'api' })).toEqual([
      [other],
    ]);
    expect(placeInColumn([[other]], started, 'in_progress', { assigned_to: 'ann' })).toEqual([
      [other],
    ]);
    expect(placeInColumn([], started, 'in_progress', {})).toEqual([[started]]);
  });
});

describe("the board's search and counts, ahead of the server", () => {
  it('matches the search as the API does: part of the title, any case', () => {
    const task = { ...base, title: 'Fix the LOGIN page' };
    expect(matchesFilters(task, { q: 'login' })).toBe(true);
    expect(matchesFilters(task, { q: 'logout' })).toBe(false);
  });

  it('moves one from the column left to the column entered, for counts the task is in', () => {
    const counts = { pending: 3, in_progress: 1, review: 0, completed: 0, blocked: 0, total: 4 };
    const started = optimisticTask(base, 'start', {}, 'ann');
    expect(movedCounts(counts, base, started, {})).toEqual({
      ...counts,
      pending: 2,
      in_progress: 2,
    });
    expect(movedCounts(counts, base, started, { project_slug: 'other' })).toBe(counts);
  });
});

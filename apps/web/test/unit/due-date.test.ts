import { describe, expect, it } from 'vitest';
import { formatDue, isOverdue } from '../../src/lib/due-date';

describe('due dates on cards', () => {
  const at = (iso: string) => Date.parse(iso);

  it('counts a plain day as due all that day (UTC), late from the next', () => {
    const task = { due_date: '2027-03-04T00:00:00.000Z', status: 'pending' };
    expect(isOverdue(task, at('2027-03-04T23:59:59Z'))).toBe(false);
    expect(isOverdue(task, at('2027-03-05T00:00:00Z'))).toBe(true);
  });

  it('counts a due time as late from that moment', () => {
    const task = { due_date: '2027-03-04T15:30:00.000Z', status: 'in_progress' };
    expect(isOverdue(task, at('2027-03-04T15:29:59Z'))).toBe(false);
    expect(isOverdue(task, at('2027-03-04T15:30:00Z'))).toBe(true);
  });

  it('never calls a completed task, or one with no due date, overdue', () => {
    expect(isOverdue({ due_date: '2020-01-01T00:00:00Z', status: 'completed' })).toBe(false);
    expect(isOverdue({ due_date: null, status: 'pending' })).toBe(false);
  });

  it('shows a plain day as that day wherever the browser is, with the year when not this one', () => {
    expect(formatDue('2027-03-04T00:00:00.000Z', new Date('2027-06-01'))).toMatch(/4/);
    expect(formatDue('2027-03-04T00:00:00.000Z', new Date('2026-06-01'))).toMatch(/2027/);
  });
});

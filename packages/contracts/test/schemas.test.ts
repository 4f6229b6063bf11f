import { describe, expect, it } from 'vitest';
import { INT4_MAX, isStorableText } from '../src/common';
import { ProjectCreateInput } from '../src/project';
import {
  TaskBlockInput,
  TaskCreateInput,
  TaskDeleteInput,
  TaskListInput,
  TaskReopenInput,
  TaskUpdateInput,
} from '../src/task';
import { WorkerUpsertInput } from '../src/worker';

describe('TaskCreateInput', () => {
  it('trims the title, defaults priority and accepts the original design body', () => {
    expect(TaskCreateInput.parse({ title: '  Test Task  ' })).toEqual({
      title: 'Test Task',
      priority: 'medium',
    });
  });

  it('rejects an empty or over-long title, with the field named', () => {
    const empty = TaskCreateInput.safeParse({ title: '   ' });
    expect(empty.success).toBe(false);
    expect(empty.error?.issues[0]?.path).toEqual(['title']);
    expect(TaskCreateInput.safeParse({ title: 'x'.repeat(201) }).success).toBe(false);
    expect(TaskCreateInput.safeParse({ title: 'x'.repeat(200) }).success).toBe(true);
  });

  it('rejects unknown fields, including status: a new task is always pending', () => {
    const r = TaskCreateInput.safeParse({ title: 'x', status: 'completed' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.code).toBe('unrecognized_keys');
  });

  it('reads 0 as "none" for parent and assignee', () => {
    expect(TaskCreateInput.parse({ title: 'x', parent_id: 0, assigned_to: 0 })).toMatchObject({
      parent_id: null,
      assigned_to: null,
    });
    expect(TaskCreateInput.parse({ title: 'x', parent_id: 7, assigned_to: 'ann' })).toMatchObject({
      parent_id: 7,
      assigned_to: 'ann',
    });
  });

  it('normalises due dates to ISO timestamps and dedupes tags', () => {
    const t = TaskCreateInput.parse({
      title: 'x',
      due_date: '2027-01-31',
      tags: ['a', 'b', 'a'],
    });
    expect(t.due_date).toBe('2027-01-31T00:00:00.000Z');
    expect(t.tags).toEqual(['a', 'b']);
    expect(TaskCreateInput.safeParse({ title: 'x', due_date: 'tomorrow' }).success).toBe(false);
  });
});

describe('TaskUpdateInput', () => {
  it('needs at least one editable field', () => {
    expect(TaskUpdateInput.safeParse({ id: 1 }).success).toBe(false);
    expect(TaskUpdateInput.safeParse({ id: 1, expected_version: 2 }).success).toBe(false);
    expect(TaskUpdateInput.parse({ id: 1, title: 'New', expected_version: 2 })).toEqual({
      id: 1,
      title: 'New',
      expected_version: 2,
    });
  });

  it('can clear the parent with 0', () => {
    expect(TaskUpdateInput.parse({ id: 1, parent_id: 0 })).toEqual({ id: 1, parent_id: null });
  });
});

describe('TaskListInput', () => {
  it('defaults to newest first, 50 per page', () => {
    expect(TaskListInput.parse(undefined)).toEqual({
      sort_by: 'created_at',
      sort_order: 'desc',
      limit: 50,
      offset: 0,
    });
  });

  it('caps the page size at 100', () => {
    expect(TaskListInput.safeParse({ limit: 101 }).success).toBe(false);
    expect(TaskListInput.safeParse({ limit: 0 }).success).toBe(false);
  });
});

describe('ProjectCreateInput', () => {
  it('accepts lowercase slugs only', () => {
    expect(ProjectCreateInput.safeParse({ slug: 'web-app', name: 'Web' }).success).toBe(true);
    for (const slug of ['Web', 'web_app', '-web', 'web--app', 'a']) {
      expect(ProjectCreateInput.safeParse({ slug, name: 'Web' }).success).toBe(false);
    }
  });
});

describe('text the database can store', () => {
  const nul = 'a\u0000b';
  const loneHigh = 'a\uD800b';
  const loneLow = 'a\uDC00b';
  const pair = 'rocket \uD83D\uDE80';

  it('refuses NUL and unpaired surrogates in every kind of string input, naming the field', () => {
    for (const bad of [nul, loneHigh, loneLow, '\uDC00\uD800']) {
      for (const [schema, input, field] of [
        [TaskCreateInput, { title: bad }, 'title'],
        [TaskCreateInput, { title: 'x', description: bad }, 'description'],
        [TaskCreateInput, { title: 'x', tags: [bad] }, 'tags'],
        [TaskCreateInput, { title: 'x', assigned_to: bad }, 'assigned_to'],
        [TaskListInput, { q: bad }, 'q'],
        [TaskListInput, { assigned_to: bad }, 'assigned_to'],
        [ProjectCreateInput, { slug: 'ok', name: bad }, 'name'],
        [WorkerUpsertInput, { id: bad, type: 'agent', name: 'x' }, 'id'],
        [TaskBlockInput, { id: 1, reason: bad }, 'reason'],
        [TaskReopenInput, { id: 1, note: bad }, 'note'],
      ] as const) {
        const result = schema.safeParse(input);
        expect(result.success, `${field} ${JSON.stringify(bad)}`).toBe(false);
        expect(result.error?.issues[0]?.path[0]).toBe(field);
      }
    }
  });

  it('keeps surrogate pairs (emoji) and other unicode unchanged', () => {
    expect(isStorableText(pair)).toBe(true);
    expect(TaskCreateInput.parse({ title: pair, description: 'naïve 日本' })).toMatchObject({
      title: pair,
      description: 'naïve 日本',
    });
  });
});

describe('numbers and dates at the columns limits', () => {
  it('refuses integers beyond PostgreSQL integer range', () => {
    expect(TaskListInput.safeParse({ parent_id: INT4_MAX + 1 }).success).toBe(false);
    expect(TaskListInput.safeParse({ parent_id: INT4_MAX }).success).toBe(true);
    expect(
      TaskUpdateInput.safeParse({ id: 1, title: 'x', expected_version: 2 ** 31 }).success,
    ).toBe(false);
    expect(TaskCreateInput.safeParse({ title: 'x', parent_id: 2 ** 31 }).success).toBe(false);
    expect(TaskDeleteInput.safeParse({ id: 2 ** 53 }).success).toBe(false);
  });

  it('refuses dates PostgreSQL cannot store or clients cannot read back', () => {
    for (const due of ['0000-01-01', '0000-12-31T23:59:59Z', '9999-12-31T23:00:00-05:00']) {
      const r = TaskCreateInput.safeParse({ title: 'x', due_date: due });
      expect(r.success, due).toBe(false);
      expect(r.error?.issues[0]?.path).toEqual(['due_date']);
    }
    expect(TaskCreateInput.parse({ title: 'x', due_date: '0001-01-01' }).due_date).toBe(
      '0001-01-01T00:00:00.000Z',
    );
    expect(TaskCreateInput.parse({ title: 'x', due_date: '9999-12-31' }).due_date).toBe(
      '9999-12-31T00:00:00.000Z',
    );
  });
});

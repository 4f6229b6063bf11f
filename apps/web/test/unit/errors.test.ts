import { TaskCreateInput } from '@taskflow/contracts';
import { TRPCClientError } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import { fieldErrors, toProblem } from '../../src/lib/errors';

describe('errors shown to people', () => {
  it('keeps the server message and puts its issues on fields', () => {
    const error = new TRPCClientError('Invalid input: title: Title is required', {
      result: {
        error: {
          message: 'Invalid input: title: Title is required',
          code: -32600,
          data: {
            code: 'BAD_REQUEST',
            httpStatus: 400,
            issues: [{ path: 'title', message: 'Title is required' }],
          },
        },
      },
    } as never);
    expect(toProblem(error)).toEqual({
      message: 'Invalid input: title: Title is required',
      code: 'BAD_REQUEST',
      status: 400,
      fields: { title: 'Title is required' },
    });
  });

  it('gives the same field messages before submit as the API does after', () => {
    const parsed = TaskCreateInput.safeParse({ title: '  ', priority: 'urgent' });
    expect(parsed.success).toBe(false);
    const fields = fieldErrors(parsed.error?.issues ?? []);
    expect(fields.title).toBe('Title is required');
    expect(Object.keys(fields).sort()).toEqual(['priority', 'title']);
  });

  it('says so plainly when the network is down', () => {
    expect(toProblem(new TypeError('Failed to fetch')).message).toMatch(/Cannot reach TaskFlow/);
  });
});

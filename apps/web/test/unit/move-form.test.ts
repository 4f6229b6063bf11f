import { MOVES, TASK_ACTIONS } from '@taskflow/contracts';
import { describe, expect, it } from 'vitest';
import { formFor } from '../../src/lib/move-form';

describe('the form a move asks for comes from its MOVES row', () => {
  it('asks for a percent and an optional note to report progress', () => {
    expect(formFor('progress')).toEqual({
      number: { name: 'percent', kind: 'number', required: true },
      text: { name: 'note', kind: 'text', required: false },
    });
  });

  it('asks for the required words of requestChanges, reopen and block', () => {
    expect(formFor('block')?.text).toEqual({ name: 'reason', kind: 'text', required: true });
    expect(formFor('reopen')?.text).toEqual({ name: 'note', kind: 'text', required: true });
    expect(formFor('requestChanges')?.text).toMatchObject({ name: 'note', required: true });
  });

  it('asks nothing for a move whose fields are all optional', () => {
    for (const action of TASK_ACTIONS) {
      const required = Object.entries(MOVES[action].input.shape).some(
        ([name, schema]) => name !== 'id' && !schema.safeParse(undefined).success,
      );
      expect(formFor(action) !== undefined, action).toBe(required);
    }
  });
});

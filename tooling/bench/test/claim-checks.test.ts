import { describe, expect, it } from 'vitest';
import {
  contentionHolds,
  findDoubleClaims,
  judgeContention,
  type StartAttempt,
} from '../src/claim-checks';
import { parseWrkResult } from '../src/wrk';

// The bench's verdicts on crafted outcomes: a broken claim must not pass as a fast one.

const race = (taskId: number, statuses: number[]): StartAttempt[] =>
  statuses.map((status, i) => ({ taskId, client: `c${i}`, status }));

describe('judgeContention', () => {
  it('passes one winner per task, losers with 409, the winner assigned', () => {
    const verdict = judgeContention(
      [1, 2],
      [...race(1, [409, 200, 409]), ...race(2, [200, 409, 409])],
      new Map([
        [1, 'c1'],
        [2, 'c0'],
      ]),
    );
    expect(verdict).toMatchObject({ exactlyOne: 2, doubleClaimed: [], noWinner: [] });
    expect(contentionHolds(verdict)).toBe(true);
  });

  it('catches a task two clients both won', () => {
    const verdict = judgeContention([1, 2], [...race(1, [200, 409, 200]), ...race(2, [409, 200])]);
    expect(verdict.doubleClaimed).toEqual([{ taskId: 1, winners: ['c0', 'c2'] }]);
    expect(verdict.exactlyOne).toBe(1);
    expect(contentionHolds(verdict)).toBe(false);
  });

  it('catches a task nobody won, and counts answers that are neither 200 nor 409', () => {
    const verdict = judgeContention([7], race(7, [500, 409, 0]));
    expect(verdict.noWinner).toEqual([7]);
    expect(verdict.unexpected).toEqual({ 500: 1, 0: 1 });
    expect(contentionHolds(verdict)).toBe(false);
  });

  it('catches a winner the server does not name as the assignee', () => {
    const verdict = judgeContention([3], race(3, [409, 200]), new Map([[3, 'c0']]));
    expect(verdict.wrongAssignee).toEqual([{ taskId: 3, winner: 'c1', assignee: 'c0' }]);
    expect(contentionHolds(verdict)).toBe(false);
  });
});

describe('findDoubleClaims', () => {
  it('finds a task claim-next handed to two agents', () => {
    expect(
      findDoubleClaims([
        { agent: 'a1', taskId: 10 },
        { agent: 'a2', taskId: 11 },
        { agent: 'a3', taskId: 10 },
      ]),
    ).toEqual([{ taskId: 10, agents: ['a1', 'a3'] }]);
  });

  it('finds none when every task went to one agent', () => {
    expect(
      findDoubleClaims([
        { agent: 'a1', taskId: 10 },
        { agent: 'a1', taskId: 11 },
      ]),
    ).toEqual([]);
  });
});

describe('parseWrkResult', () => {
  it("reads scenario.lua's RESULT line", () => {
    const output = 'Running 5s test @ http://x\n  2 threads\nRESULT 1234.5 3.10 20.00 2 1 6173\n';
    expect(parseWrkResult(output)).toEqual({
      rps: 1234.5,
      p50: 3.1,
      p99: 20,
      non2xx: 2,
      socketErrors: 1,
      requests: 6173,
    });
  });

  it('refuses output without one', () => {
    expect(() => parseWrkResult('unable to connect')).toThrow(/no RESULT line/);
  });
});

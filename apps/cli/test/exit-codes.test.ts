import { describe, expect, it } from 'vitest';
import { EXIT, exitCodeFor } from '../src/exit-codes';

describe('exit codes scripts can rely on', () => {
  it('says "retry later" (8) for a rate limit as for an outage', () => {
    expect(exitCodeFor(429, 'TOO_MANY_REQUESTS')).toBe(EXIT.unavailable);
    expect(exitCodeFor(503, 'SERVICE_UNAVAILABLE')).toBe(EXIT.unavailable);
    expect(exitCodeFor(undefined, 'NETWORK')).toBe(EXIT.unavailable);
  });

  it('keeps the other kinds apart', () => {
    expect(exitCodeFor(401, 'UNAUTHORIZED')).toBe(EXIT.notLoggedIn);
    expect(exitCodeFor(412, 'PRECONDITION_FAILED')).toBe(EXIT.conflict);
    expect(exitCodeFor(400, 'BAD_REQUEST')).toBe(EXIT.invalid);
    expect(exitCodeFor(500, 'INTERNAL_SERVER_ERROR')).toBe(EXIT.failure);
  });
});

import { describe, expect, it } from 'vitest';
import { remaining } from '../../src/components/lease';

describe("a card's lease countdown", () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  const at = (seconds: number) => new Date(now + seconds * 1000).toISOString();

  it('reads in seconds, minutes or hours, as fits', () => {
    expect(remaining(at(45), now)).toBe('45s');
    expect(remaining(at(12 * 60), now)).toBe('12m');
    expect(remaining(at(3 * 3600), now)).toBe('3h');
  });

  it('says when the lease has run out (the sweeper will return the task)', () => {
    expect(remaining(at(0), now)).toBe('expired');
    expect(remaining(at(-30), now)).toBe('expired');
  });
});

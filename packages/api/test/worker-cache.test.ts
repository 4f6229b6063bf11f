import type { WorkerRow } from '@taskflow/db';
import { describe, expect, it } from 'vitest';
import { WorkerCache } from '../src/auth/worker-cache';

const row = (id: string, name = id): WorkerRow => ({
  id,
  type: 'human',
  name,
  email: null,
  created_at: new Date(0),
  updated_at: new Date(0),
});

/** A cache that can hear announcements, as one whose LISTEN is in place. */
function listening(options: ConstructorParameters<typeof WorkerCache>[0] = {}) {
  const cache = new WorkerCache(options);
  cache.listening();
  return cache;
}

describe('WorkerCache', () => {
  it('keeps nothing until it can hear announcements, and nothing once it cannot', () => {
    const cache = new WorkerCache();
    cache.set(row('a'), cache.generation);
    expect(cache.get('a')).toBeUndefined();
    cache.listening();
    cache.set(row('a'), cache.generation);
    expect(cache.get('a')?.name).toBe('a');
    cache.deaf();
    expect(cache.get('a')).toBeUndefined();
    cache.set(row('a'), cache.generation);
    expect(cache.size).toBe(0);
  });

  it('drops a row read before a change was announced', () => {
    const cache = listening();
    const readAt = cache.generation;
    // The announcement arrives while the read is on its way back.
    cache.forget('a');
    cache.set(row('a', 'stale'), readAt);
    expect(cache.get('a')).toBeUndefined();
    cache.set(row('a', 'fresh'), cache.generation);
    expect(cache.get('a')?.name).toBe('fresh');
  });

  it('forgets the least recently seen caller beyond its bound', () => {
    const cache = listening({ maxEntries: 2 });
    cache.set(row('a'), cache.generation);
    cache.set(row('b'), cache.generation);
    expect(cache.get('a')).toBeDefined(); // a is now the most recent
    cache.set(row('c'), cache.generation);
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
  });

  it('forgets a copy once its lifetime is over, however often it is read', async () => {
    const cache = listening({ ttlMs: 20 });
    cache.set(row('a'), cache.generation);
    expect(cache.get('a')).toBeDefined();
    await new Promise((r) => setTimeout(r, 40));
    expect(cache.get('a')).toBeUndefined();
    const none = listening({ ttlMs: 0 });
    none.set(row('a'), none.generation);
    expect(none.get('a')).toBeUndefined();
  });
});

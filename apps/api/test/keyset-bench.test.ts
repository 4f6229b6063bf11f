import { sql } from '@taskflow/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './helpers/harness';

/**
 * "A page deep into a large list costs what the first page costs", measured through
 * GET /api/tasks over real HTTP on 50,000 tasks: page 1, page 201 by cursor (Link),
 * and the same rows by offset for comparison. Prints the medians.
 */
describe('REST page cost on 50k tasks', () => {
  let h: Harness;
  let token: string;
  const PAGE = 50;

  beforeAll(async () => {
    h = await startHarness();
    const ann = await h.as('ann');
    await ann.projects.create.mutate({ slug: 'big', name: 'Big' });
    await sql`insert into tasks (project_id, title, priority, created_by, created_at, updated_at)
      select p.id, 'Task ' || g, (array['low','medium','high','critical'])[1 + g % 4], 'ann',
        now() - g * interval '1 second', now() - g * interval '1 second'
      from generate_series(1, 50000) g, projects p where p.slug = 'big'`.execute(h.database.db);
    await sql`analyze tasks`.execute(h.database.db);
    token = await h.issuer.token('ann', { name: 'ann' });
  }, 120_000);
  afterAll(() => h.stop());

  const get = (path: string) =>
    fetch(`${h.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });

  async function median(path: string, runs = 15): Promise<number> {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      const res = await get(path);
      expect(res.status).toBe(200);
      expect(await res.json()).toHaveLength(PAGE);
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)] as number;
  }

  it('page 201 by cursor costs what page 1 costs; offset grows with depth', async () => {
    const base = `/api/tasks?project=big&limit=${PAGE}`;
    let path = base;
    for (let page = 1; page <= 200; page++) {
      const link = (await get(path)).headers.get('link') ?? '';
      path = /^<([^>]+)>/.exec(link)?.[1] ?? '';
      expect(path).toContain('cursor=');
    }
    await median(base, 5); // warm-up
    const first = await median(base);
    const deepCursor = await median(path);
    const deepOffset = await median(`${base}&offset=${200 * PAGE}`);
    const deepestOffset = await median(`${base}&offset=${990 * PAGE}`);
    console.log(
      `GET /api/tasks, 50k tasks, limit ${PAGE}, median of 15 (ms): page 1 ${first.toFixed(2)}; ` +
        `page 201 by cursor ${deepCursor.toFixed(2)}; page 201 by offset ${deepOffset.toFixed(2)}; ` +
        `page 991 by offset ${deepestOffset.toFixed(2)}`,
    );
    // Generous bounds (a shared 2-core machine): what matters is "no growth with depth".
    expect(deepCursor).toBeLessThan(first * 2 + 5);
  }, 120_000);
});

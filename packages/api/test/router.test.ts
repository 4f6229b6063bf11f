import { MOVES } from '@taskflow/contracts';
import { createDb, type Database } from '@taskflow/db';
import { createLogger } from '@taskflow/service';
import type { inferRouterInputs } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInnerContext } from '../src/context';
import { type AppRouter, appRouter } from '../src/router';
import { createCallerFactory, inTransaction } from '../src/trpc';

type AnyProcedure = {
  _def: { type: 'query' | 'mutation' | 'subscription'; middlewares: unknown[] };
};
const procedures = Object.entries(
  appRouter._def.procedures as unknown as Record<string, AnyProcedure>,
);
const PUBLIC = ['health.live', 'health.db'];

describe('the router contract', () => {
  let database: Database;
  beforeAll(() => {
    database = createDb({ dataDir: 'memory://' });
  });
  afterAll(() => database.close());

  it('has the procedures the issue names', () => {
    expect(procedures.map(([path]) => path).sort()).toEqual(
      [
        'audit.list',
        'events.list',
        'events.onChange',
        'health.db',
        'health.live',
        'projects.addMember',
        'projects.create',
        'projects.get',
        'projects.list',
        'projects.removeMember',
        'projects.update',
        'tasks.addDependency',
        'tasks.assign',
        'tasks.block',
        'tasks.claimNext',
        'tasks.complete',
        'tasks.counts',
        'tasks.create',
        'tasks.delete',
        'tasks.get',
        'tasks.heartbeat',
        'tasks.list',
        'tasks.progress',
        'tasks.removeDependency',
        'tasks.reopen',
        'tasks.requestChanges',
        'tasks.start',
        'tasks.submitForReview',
        'tasks.unblock',
        'tasks.update',
        'workers.list',
        'workers.me',
        'workers.upsert',
        'webhooks.create',
        'webhooks.delete',
        'webhooks.deliveries',
        'webhooks.get',
        'webhooks.list',
        'webhooks.rotateSecret',
        'webhooks.test',
        'webhooks.update',
      ].sort(),
    );
  });

  it('runs every mutation inside the transaction middleware', () => {
    const marker = (inTransaction as unknown as { _middlewares: unknown[] })._middlewares[0];
    const mutations = procedures.filter(([, p]) => p._def.type === 'mutation');
    expect(mutations.length).toBeGreaterThan(10);
    for (const [path, p] of mutations) {
      expect(p._def.middlewares, path).toContain(marker);
    }
    for (const [path, p] of procedures.filter(([, p]) => p._def.type === 'query')) {
      expect(p._def.middlewares, path).not.toContain(marker);
    }
  });

  it('protects every procedure but health', async () => {
    const caller = createCallerFactory(appRouter)(
      createInnerContext({
        db: database.db,
        logger: createLogger({ service: 'api', level: 'silent' }),
      }),
    ) as unknown as Record<string, Record<string, (input: unknown) => Promise<unknown>>>;
    for (const [path] of procedures) {
      const [ns, name] = path.split('.') as [string, string];
      const call = caller[ns]?.[name];
      if (!call) throw new Error(`no caller for ${path}`);
      if (PUBLIC.includes(path)) continue;
      await expect(call({}), path).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    }
  });
});

describe('move procedures built from the MOVES table', () => {
  it('keep each move its own input type', () => {
    type Inputs = inferRouterInputs<AppRouter>;
    const progress: Inputs['tasks']['progress'] = { id: 1, percent: 50, note: 'half' };
    // @ts-expect-error percent is required to report progress
    const noPercent: Inputs['tasks']['progress'] = { id: 1 };
    // @ts-expect-error a reason belongs to block, not start
    const startWithReason: Inputs['tasks']['start'] = { id: 1, reason: 'x' };
    // The types above and the validation agree.
    expect(MOVES.progress.input.safeParse(progress).success).toBe(true);
    expect(MOVES.progress.input.safeParse(noPercent).success).toBe(false);
    expect(MOVES.start.input.safeParse(startWithReason).success).toBe(false);
  });
});

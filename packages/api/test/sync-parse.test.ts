import { TaskCreateInput } from '@taskflow/contracts';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { appRouter } from '../src/router';
import { sync, unwrapSync } from '../src/sync-parse';

type Def = { inputs: unknown[]; output?: unknown };
const procedures = Object.entries(
  appRouter._def.procedures as unknown as Record<string, { _def: Def }>,
);

describe('sync: a schema as tRPC should see it', () => {
  const schema = z
    .object({ title: z.string().trim().min(1), priority: z.enum(['low', 'high']).default('low') })
    .meta({ id: 'Example', description: 'an example' });
  const view = sync(schema);

  it('answers parseAsync with what the schema itself would: defaults and transforms applied', async () => {
    await expect(view.parseAsync({ title: '  a  ' })).resolves.toEqual({
      title: 'a',
      priority: 'low',
    });
    await expect(view.parseAsync({ title: ' a ', extra: 1 })).resolves.toEqual(
      await schema.parseAsync({ title: ' a ', extra: 1 }),
    );
  });

  it('rejects what the schema rejects, with the same issues', async () => {
    const bad = { title: '', priority: 'urgent' };
    const expected = schema.safeParse(bad).error?.issues;
    expect(expected).toHaveLength(2);
    const error = await view.parseAsync(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(z.ZodError);
    expect((error as z.ZodError).issues).toEqual(expected);
  });

  it('falls back to the asynchronous parse for a schema with asynchronous checks', async () => {
    const checked = z.string().refine(async (s) => s !== 'taken', 'taken');
    await expect(sync(checked).parseAsync('free')).resolves.toBe('free');
    const error = await sync(checked)
      .parseAsync('taken')
      .catch((e: unknown) => e);
    expect((error as z.ZodError).issues[0]?.message).toBe('taken');
  });

  it('is still the schema for everything else: instanceof, JSON Schema, the original behind it', () => {
    expect(view).toBeInstanceOf(z.ZodType);
    expect(unwrapSync(view)).toBe(schema);
    expect(unwrapSync(schema)).toBe(schema);
    expect(z.toJSONSchema(unwrapSync(view) as z.ZodType)).toEqual(z.toJSONSchema(schema));
    expect(view.parse({ title: 'x' })).toEqual({ title: 'x', priority: 'low' });
    const created = sync(TaskCreateInput).parse({ title: 'x' });
    expect(created).toEqual(TaskCreateInput.parse({ title: 'x' }));
  });

  it('wraps every input and output of the router (a bare schema would validate 4x slower)', () => {
    const bare = procedures.flatMap(([path, { _def }]) => [
      ..._def.inputs.filter((p) => unwrapSync(p) === p).map(() => `${path} input`),
      ...(_def.output !== undefined && unwrapSync(_def.output) === _def.output
        ? [`${path} output`]
        : []),
    ]);
    expect(bare).toEqual([]);
    expect(procedures.filter(([, p]) => p._def.inputs.length > 0).length).toBeGreaterThan(30);
  });
});

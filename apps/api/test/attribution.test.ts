import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './helpers/harness';

describe('every audit row says which client the change came through', () => {
  let h: Harness;
  let token: string;
  beforeAll(async () => {
    h = await startHarness();
    token = await h.issuer.token('multi-client');
  });
  afterAll(() => h.stop());

  const trpcCreate = (client?: string) =>
    fetch(`${h.baseUrl}/trpc/tasks.create`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        ...(client && { 'x-taskflow-client': client }),
      },
      body: JSON.stringify({ title: `via ${client ?? 'nothing'}` }),
    }).then(async (r) => ((await r.json()) as { result: { data: { id: number } } }).result.data.id);

  const restCreate = (client?: string) =>
    fetch(`${h.baseUrl}/api/tasks`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        ...(client && { 'x-taskflow-client': client }),
      },
      body: JSON.stringify({ title: 'rest' }),
    }).then(async (r) => ((await r.json()) as { id: number }).id);

  const clientOf = async (taskId: number) => {
    const res = await fetch(`${h.baseUrl}/api/tasks/${taskId}/audit`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return ((await res.json()) as { client: string | null }[])[0]?.client;
  };

  it('records the name the client gives, lowercased', async () => {
    expect(await clientOf(await trpcCreate('cli'))).toBe('cli');
    expect(await clientOf(await trpcCreate('MCP'))).toBe('mcp');
    expect(await clientOf(await restCreate('billing-sync.py'))).toBe('billing-sync.py');
  });

  it('falls back to the surface when the name is missing or not a sane one', async () => {
    expect(await clientOf(await trpcCreate())).toBe('trpc');
    expect(await clientOf(await restCreate())).toBe('rest');
    expect(await clientOf(await trpcCreate('<script>alert(1)</script>'))).toBe('trpc');
  });
});

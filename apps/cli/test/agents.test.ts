import type { Stack } from '@taskflow/auth/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliAgainstStack } from './helpers/run';

interface Key {
  id: string;
  start: string;
  expires_at: string | null;
}

describe('taskflow agents: admins manage agents and their keys from a shell', () => {
  const cli = cliAgainstStack('taskflow-cli-agents-');
  const { taskflow, json } = cli;
  let s: Stack;

  beforeAll(async () => {
    s = cli.stack();
    await s.signUp('boss@example.com', 'Bo Boss', 'boss-password-123');
    await s.signUp('dev@example.com', 'Dee Dev', 'dev-password-123');
  });

  it('needs a login, and an admin', async () => {
    const anonymous = await taskflow(['agents', 'list']);
    expect(anonymous.code).toBe(3);
    expect(anonymous.stderr).toMatch(/^taskflow agents list: Not logged in/);
    const dev = await s.tokenFor((await s.signUp('dev2@example.com', 'Dev Two')).cookie);
    const refused = await taskflow(['agents', 'list'], { TASKFLOW_TOKEN: dev });
    expect([refused.code, refused.stderr.trim()]).toEqual([6, 'taskflow agents list: Admins only']);
  });

  it('creates an agent, lists it, issues and revokes keys; a revoked key stops working', async () => {
    const login = await taskflow(['login', '--email', 'boss@example.com'], {
      TASKFLOW_PASSWORD: 'boss-password-123',
    });
    expect(login.code, login.stderr).toBe(0);

    const created = await taskflow(['agents', 'create', 'Night Bot', '--expires-in-days', '7']);
    expect(created.code, created.stderr).toBe(0);
    const [firstKey = ''] = created.stdout.split('\n');
    expect(firstKey).toMatch(/^tf_/);
    expect(created.stdout).toMatch(/Store it now: it is not shown again/);

    const table = await taskflow(['agents', 'list']);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+KEYS\s+CREATED$/);
    expect(table.stdout).toMatch(/Night Bot\s+1 active/);
    const [agent] = await json<{ id: string; name: string; keys: Key[] }[]>(['agents', 'list']);
    expect(agent?.name).toBe('Night Bot');
    const agentId = agent?.id ?? '';
    expect(Date.parse(agent?.keys[0]?.expires_at ?? '') - Date.now()).toBeGreaterThan(
      6 * 86_400_000,
    );

    const issued = await json<{ api_key: string; key: Key }>(['agents', 'new-key', agentId]);
    const keys = await json<Key[]>(['agents', 'keys', agentId]);
    expect(keys.map((k) => k.id)).toEqual([agent?.keys[0]?.id, issued.key.id]);
    expect((await taskflow(['agents', 'keys', agentId])).stdout).toMatch(
      /^KEY_ID\s+STARTS\s+STATUS/,
    );

    // The agent works with either key...
    const asAgent = (key: string) => taskflow(['whoami'], { TASKFLOW_API_KEY: key });
    expect((await asAgent(firstKey)).stdout).toMatch(/^Night Bot .* agent/);
    const revoked = await taskflow(['agents', 'revoke', agentId, agent?.keys[0]?.id ?? '']);
    expect([revoked.code, revoked.stdout.trim()]).toEqual([
      0,
      `Revoked key ${agent?.keys[0]?.id} of agent ${agentId}`,
    ]);
    // ...until one is revoked.
    const refused = await asAgent(firstKey);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/The API key was refused \(401\)/);
    expect((await asAgent(issued.api_key)).code).toBe(0);
  });

  it('gives the usual exit codes for unknown agents, bad input and usage', async () => {
    const unknown = await taskflow(['agents', 'keys', 'no-such-agent']);
    expect([unknown.code, unknown.stderr.trim()]).toEqual([
      4,
      'taskflow agents keys: No agent no-such-agent',
    ]);
    const invalid = await taskflow(['agents', 'create', 'Bot', '--expires-in-days', '0']);
    expect(invalid.code).toBe(7);
    expect(invalid.stderr).toMatch(/expires_in_days/);
    expect((await taskflow(['agents', 'create', 'Bot', '--expires-in-days', 'soon'])).code).toBe(2);
    expect((await taskflow(['agents', 'revoke', 'only-one-arg'])).code).toBe(2);
    const group = await taskflow(['agents']);
    expect(group.code).toBe(2);
    expect(group.stderr).toContain('expected one of list, create, keys, new-key, revoke');
    expect((await taskflow(['--help'])).stdout).toContain('agents revoke AGENT KEY_ID');
  });
});

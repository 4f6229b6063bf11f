import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Stack, startStack } from '@taskflow/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliRunner } from './helpers/run';

describe('taskflow login against an https deployment', () => {
  let s: Stack;
  let home: string;

  const { taskflow } = cliRunner(() => ({
    PATH: process.env.PATH ?? '',
    HOME: home,
    TASKFLOW_URL: s.apiUrl,
    TASKFLOW_AUTH_URL: s.authUrl,
    TASKFLOW_PASSWORD: 'https-password-123',
  }));

  beforeAll(async () => {
    // Public URL https (TLS ends at a proxy); the service itself answers plain HTTP on loopback.
    s = await startStack({ baseUrl: 'https://auth.taskflow.test' });
    home = mkdtempSync(join(tmpdir(), 'taskflow-cli-https-'));
    await s.signUp('sec@example.com', 'Sec Ure', 'https-password-123');
  });
  afterAll(async () => {
    await s.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('keeps the __Secure- session cookie and trades it for API tokens', async () => {
    const login = await taskflow(['login', '--email', 'sec@example.com']);
    expect(login.code, login.stderr).toBe(0);
    expect(login.stderr).toMatch(/Logged in to .* as Sec Ure \(human, admin\)/);
    const stored = JSON.parse(
      readFileSync(join(home, '.config', 'taskflow', 'credentials.json'), 'utf8'),
    ) as { session_cookie: string };
    expect(stored.session_cookie).toMatch(/^__Secure-better-auth\.session_token=/);
    const whoami = await taskflow(['whoami']);
    expect(whoami.code, whoami.stderr).toBe(0);
    expect(whoami.stdout).toMatch(/^Sec Ure \(.+\) — human, admin/);
  });
});

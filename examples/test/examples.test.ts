import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { type Stack, startStack } from '@taskflow/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const HERE = join(import.meta.dirname, '..');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs an example as a person would, against the stack, as the person `email`. */
function runExample(command: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: HERE, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env } },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('the example clients, against the real identity service and API', () => {
  let s: Stack;
  let env: Record<string, string>;
  let adminCookie: string;
  beforeAll(async () => {
    s = await startStack();
    // The first account is the admin (outside production), who may issue agent keys.
    adminCookie = (await s.signUp('import-admin@example.com', 'Import Admin')).cookie;
    env = { TASKFLOW_URL: s.apiUrl, TASKFLOW_AUTH_URL: s.authUrl };
  });
  afterAll(() => s?.stop());

  it('typescript-client.ts signs a person up, works a task through @taskflow/client and shows the trail', async () => {
    const run = await runExample(process.execPath, ['--import', 'tsx', 'typescript-client.ts'], {
      ...env,
      TASKFLOW_EMAIL: 'ts-example@example.com',
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^signed in as Example \(human\)$/m);
    expect(run.stdout).toMatch(/^task \d+: in_progress, 50%$/m);
    expect(run.stdout).toMatch(/progress by human via typescript-example/);
    expect(run.stdout).toMatch(
      /starting it again: 409 CONFLICT: Cannot start task with status 'in_progress'/,
    );
  });

  it('curl.sh signs a person up, then in, and works a task over REST', async () => {
    const first = await runExample('bash', ['curl.sh'], {
      ...env,
      TASKFLOW_EMAIL: 'sh@example.com',
    });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^created task \d+$/m);
    expect(first.stdout).toContain('"progress_percent":50');
    expect(first.stdout).toContain('"client":"curl-example"');
    // The second run signs in to the account the first one created.
    const second = await runExample('bash', ['curl.sh'], {
      ...env,
      TASKFLOW_EMAIL: 'sh@example.com',
    });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout.match(/"title":"Try TaskFlow from curl"/g)?.length).toBeGreaterThanOrEqual(
      2,
    );
  });

  it('python_client.py works a task over REST with a bearer token and reads the error shape', async () => {
    const { cookie } = await s.signUp('py-example@example.com', 'Py Example');
    const run = await runExample('python3', ['python_client.py'], {
      ...env,
      TASKFLOW_TOKEN: await s.tokenFor(cookie),
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^task \d+: in_progress, 50%$/m);
    expect(run.stdout).toMatch(/started\s+by human via python-example/);
    expect(run.stdout).toMatch(
      /starting it again: 409 CONFLICT: Cannot start task with status 'in_progress'/,
    );
  });

  it('bulk-import.ts imports tasks as an agent, and stops at the first invalid entry', async () => {
    const agent = await s.createAgent(adminCookie, 'Import Bot');
    const agentEnv = { ...env, TASKFLOW_API_KEY: agent.key };
    const run = await runExample(
      process.execPath,
      ['--import', 'tsx', 'bulk-import.ts', 'test/fixtures/tasks.json'],
      agentEnv,
    );
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: number; title: string });
    expect(lines.map((l) => l.title)).toEqual([
      'Import: set up CI',
      'Import: write docs',
      'Import: triage bugs',
    ]);
    expect(run.stderr).toContain('imported 3 task(s)');
    const rows = await s.database.db
      .selectFrom('audit_log')
      .select(['client', 'actor_type'])
      .where(
        'task_id',
        'in',
        lines.map((l) => l.id),
      )
      .execute();
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows.every((r) => r.client === 'bulk-import' && r.actor_type === 'agent')).toBe(true);

    const invalid = await runExample(
      process.execPath,
      ['--import', 'tsx', 'bulk-import.ts', 'test/fixtures/invalid.json'],
      agentEnv,
    );
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/invalid\.json\[1\]: title: Title is required/);
  });
});

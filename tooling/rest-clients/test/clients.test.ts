import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Harness, startHarness } from '@taskflow/api/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderTypes } from '../scripts/render';
import { createAndComplete } from '../src/create-and-complete';

const run = promisify(execFile);
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

describe('clients that are not tRPC', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.stop());

  it('has client types generated from the live /openapi.json, up to date', async () => {
    const live = await (await fetch(`${h.baseUrl}/openapi.json`)).json();
    const fresh = await renderTypes(live);
    const committed = readFileSync(here('../src/generated/taskflow-api.d.ts'), 'utf8');
    expect(fresh.length).toBeGreaterThan(10_000);
    // If this fails: pnpm --filter @taskflow/rest-clients generate
    expect(committed).toBe(fresh);
  });

  it('typechecks the generated client script with a third-party tool chain (tsc 5.9)', async () => {
    const { stdout } = await run(here('../node_modules/.bin/tsc'), [
      '-p',
      here('../tsconfig.json'),
      '--pretty',
      'false',
    ]).catch((e: { stdout: string }) => ({ stdout: e.stdout }));
    expect(stdout).toBe('');
    // tsc 5.9 (no native compiler here) checks the API's types too: give it time.
  }, 120_000);

  it('creates and completes a task through the generated client', async () => {
    const token = await h.issuer.token('typed-client');
    const task = await createAndComplete(h.baseUrl, token, 'Typed REST');
    expect(task).toMatchObject({
      title: 'Typed REST',
      status: 'completed',
      progress_percent: 100,
      priority: 'high',
    });
    const trail = await h.database.db
      .selectFrom('audit_log')
      .select('action')
      .where('task_id', '=', task.id)
      .orderBy('id')
      .execute();
    expect(trail.map((r) => r.action)).toEqual(['created', 'started', 'progress', 'completed']);
  });

  it('works from Python with the standard library only', async () => {
    const token = await h.issuer.token('python-client');
    const { stdout } = await run('python3', [here('../python/taskflow_smoke.py')], {
      env: { PATH: process.env.PATH ?? '', TASKFLOW_URL: h.baseUrl, TASKFLOW_TOKEN: token },
    });
    const result = JSON.parse(stdout) as { task_id: number; actions: string[] };
    expect(result.actions).toEqual(['created', 'started', 'progress', 'completed']);
    const row = await h.database.db
      .selectFrom('tasks')
      .selectAll()
      .where('id', '=', result.task_id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      status: 'completed',
      created_by: 'python-client',
      progress_percent: 100,
    });
  });

  it('makes the Python client exit non-zero on a surprise', async () => {
    const expired = await h.issuer.token('python-client', {}, { expiresIn: -3600 });
    const failure = await run('python3', [here('../python/taskflow_smoke.py')], {
      env: { PATH: process.env.PATH ?? '', TASKFLOW_URL: h.baseUrl, TASKFLOW_TOKEN: expired },
    }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toMatch(/create: expected 201, got 401/);
  });
});

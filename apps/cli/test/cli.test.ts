import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Stack } from '@taskflow/auth/testing';
import type { AuditEntry, Task } from '@taskflow/contracts';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliAgainstStack } from './helpers/run';

describe('the taskflow command, as a real process against a real API, auth service and PostgreSQL', () => {
  const cli = cliAgainstStack('taskflow-cli-');
  const { taskflow, json } = cli;
  let s: Stack;
  let home: string;

  beforeAll(async () => {
    s = cli.stack();
    home = cli.home();
    await s.signUp('ivy@example.com', 'Ivy Ops', 'ivy-password-123');
    await s.signUp('rex@example.com', 'Rex Review', 'rex-password-123');
  });

  it('says you are not logged in, with exit code 3', async () => {
    const r = await taskflow(['list']);
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toBe(
      'taskflow list: Not logged in: run `taskflow login` (or set TASKFLOW_TOKEN or TASKFLOW_API_KEY)',
    );
  });

  it('logs in with email + password and keeps the credentials private (0600)', async () => {
    const wrong = await taskflow([
      'login',
      '--email',
      'ivy@example.com',
      '--password',
      'nope-nope-nope',
    ]);
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/Sign-in refused/);
    const r = await taskflow(['login', '--email', 'ivy@example.com'], {
      TASKFLOW_PASSWORD: 'ivy-password-123',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Logged in to .* as Ivy Ops \(human, admin\)/);
    const file = join(home, '.config', 'taskflow', 'credentials.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect((await taskflow(['whoami'])).stdout).toMatch(/^Ivy Ops \(.+\) — human, admin/);
  });

  it('runs the whole workflow, with --json output that parses', async () => {
    await json(['project', 'create', 'ops', 'Operations']);
    const created = await json<Task>([
      'create',
      'Rotate the keys',
      '--project',
      'ops',
      '--priority',
      'high',
      '--tags',
      'security,infra',
    ]);
    expect(created).toMatchObject({
      title: 'Rotate the keys',
      priority: 'high',
      tags: ['security', 'infra'],
      status: 'pending',
    });
    const id = String(created.id);
    expect((await json<Task>(['start', id])).status).toBe('in_progress');
    expect(
      (await json<Task>(['progress', id, '60', '--note', 'two of three rotated'])).progress_percent,
    ).toBe(60);
    expect((await json<Task>(['review', id])).status).toBe('review');
    expect((await json<Task>(['complete', id])).status).toBe('completed');
    expect((await json<Task>(['reopen', id, '--note', 'one key missed'])).status).toBe('review');
    expect((await json<Task>(['request-changes', id, '--note', 'rotate it too'])).status).toBe(
      'in_progress',
    );
    expect((await json<Task>(['block', id, '--reason', 'vault down'])).status).toBe('blocked');
    expect((await json<Task>(['unblock', id])).status).toBe('in_progress');
    // --if-version makes a move conditional: a stale version is a conflict (5), nothing moves.
    const current = await json<Task>(['show', id]);
    const stale = await taskflow([
      'progress',
      id,
      '70',
      '--if-version',
      String(current.version - 1),
    ]);
    expect(stale.code).toBe(5);
    const fresh = await json<Task>(['progress', id, '70', '--if-version', String(current.version)]);
    expect(fresh).toMatchObject({ progress_percent: 70, version: current.version + 1 });
    expect((await json<Task>(['edit', id, '--title', 'Rotate all the keys'])).title).toBe(
      'Rotate all the keys',
    );

    const listed = await json<{ items: Task[]; next_cursor: string | null }>([
      'list',
      '--project',
      'ops',
      '--status',
      'in_progress',
      '--mine',
    ]);
    expect(listed.items.map((t) => t.id)).toEqual([created.id]);
    expect(listed.next_cursor).toBeNull();
    // Pages by cursor: --json carries next_cursor, the table a hint, --cursor follows on.
    await taskflow(['create', 'Second in ops', '--project', 'ops']);
    const first = await json<{ items: Task[]; next_cursor: string }>([
      'list',
      '--project',
      'ops',
      '-l',
      '1',
    ]);
    expect(first.items).toHaveLength(1);
    expect((await taskflow(['list', '--project', 'ops', '-l', '1'])).stdout).toContain(
      `--cursor ${first.next_cursor}`,
    );
    const second = await json<{ items: Task[] }>([
      'list',
      '--project',
      'ops',
      '-l',
      '1',
      '--cursor',
      first.next_cursor,
    ]);
    expect(second.items[0]?.id).not.toBe(first.items[0]?.id);
    const refused = await taskflow(['list', '--cursor', 'bogus']);
    expect(refused.code).not.toBe(0);
    const table = await taskflow(['list', '--project', 'ops']);
    expect(table.stdout.split('\n')[0]).toMatch(
      /^ID\s+STATUS\s+PRIORITY\s+PROGRESS\s+ASSIGNEE\s+PROJECT\s+TITLE$/,
    );
    expect(table.stdout).toContain('Rotate all the keys');

    const trail = (await json<{ items: AuditEntry[] }>(['audit', id])).items;
    expect(trail.map((e) => e.action)).toEqual([
      'created',
      'started',
      'progress',
      'submitted_for_review',
      'completed',
      'reopened',
      'changes_requested',
      'blocked',
      'unblocked',
      'progress',
      'updated',
    ]);
    expect(trail.every((e) => e.client === 'cli' && e.actor_type === 'human')).toBe(true);
    expect(trail[2]?.context).toMatchObject({ percent: 60, note: 'two of three rotated' });
  });

  it('manages project members and assignment', async () => {
    const rex = await s.signUp('rex2@example.com', 'Rex Two', 'rex-password-123');
    await s
      .tokenFor(rex.cookie)
      .then((t) =>
        fetch(`${s.apiUrl}/api/workers/me`, { headers: { authorization: `Bearer ${t}` } }),
      );
    // Found by the address one knows, as the web's member picker finds people.
    const found = await json<{ items: { id: string }[] }>([
      'workers',
      '--search',
      'REX2@example.com',
    ]);
    expect(found.items.map((w) => w.id)).toEqual([rex.userId]);
    const detail = await json<{ members: { worker_id: string }[] }>([
      'project',
      'add-member',
      'ops',
      rex.userId,
    ]);
    expect(detail.members.map((m) => m.worker_id)).toContain(rex.userId);
    const task = await json<Task>(['create', 'Hand over', '--project', 'ops']);
    const counts = await json<{ pending: number; total: number }>([
      'counts',
      '--project',
      'ops',
      '--search',
      'hand over',
    ]);
    expect(counts).toMatchObject({ pending: 1, total: 1 });
    expect((await taskflow(['counts', '--project', 'ops'])).stdout).toMatch(/^pending\s+\d+$/m);
    expect((await json<Task>(['assign', String(task.id), rex.userId])).assigned_to).toBe(
      rex.userId,
    );
    expect((await json<Task>(['assign', String(task.id), 'none'])).assigned_to).toBeNull();
    expect((await taskflow(['project', 'show', 'ops'])).stdout).toContain('Rex Two');
    const removed = await json<{ removed: boolean }>([
      'project',
      'remove-member',
      'ops',
      rex.userId,
    ]);
    expect(removed.removed).toBe(true);
    expect(
      (await json<{ items: { slug: string }[] }>(['project', 'list'])).items.map((p) => p.slug),
    ).toContain('ops');
    expect(
      (await json<{ items: { id: string }[] }>(['workers'])).items.length,
    ).toBeGreaterThanOrEqual(1);
    expect((await json<{ deleted: boolean }>(['delete', String(task.id)])).deleted).toBe(true);
  });

  it('gives a one-line message and a reliable exit code for 401, 404, 409 and bad input', async () => {
    const unauthorized = await taskflow(['list'], { TASKFLOW_TOKEN: 'not.a.jwt' });
    expect(unauthorized.code).toBe(3);
    expect(unauthorized.stderr.trim().split('\n')).toHaveLength(1);
    expect(unauthorized.stderr).toMatch(/^taskflow list: Invalid token/);

    const missing = await taskflow(['show', '999999']);
    expect(missing.code).toBe(4);
    expect(missing.stderr.trim()).toBe('taskflow show: Task 999999 not found');

    const task = await json<Task>(['create', 'Claim me', '--project', 'ops']);
    await json(['start', String(task.id)]);
    const conflict = await taskflow(['start', String(task.id)]);
    expect(conflict.code).toBe(5);
    expect(conflict.stderr.trim()).toBe(
      "taskflow start: Cannot start task with status 'in_progress'",
    );

    const invalid = await taskflow(['progress', String(task.id), '150']);
    expect(invalid.code).toBe(7);
    expect(invalid.stderr).toMatch(/percent/);

    const usage = await taskflow(['progress', String(task.id)]);
    expect(usage.code).toBe(2);
    expect((await taskflow(['frobnicate'])).code).toBe(2);
    expect((await taskflow(['show', 'abc'])).code).toBe(2);
    const down = await taskflow(['list'], { TASKFLOW_URL: 'http://127.0.0.1:9' });
    expect(down.code).toBe(8);
  });

  it('claims the next task with `taskflow next`, keeps its lease with `heartbeat`, and refuses a stale --epoch', async () => {
    await json(['project', 'create', 'queue', 'Queue']);
    await json(['project', 'edit', 'queue', '--lease', '600']);
    await json(['create', 'later', '--project', 'queue', '--priority', 'low']);
    await json(['create', 'first', '--project', 'queue', '--priority', 'critical']);
    const next = await json<Task>(['next', '--project', 'queue']);
    expect(next).toMatchObject({ title: 'first', status: 'in_progress', claim_epoch: 1 });
    const lease = (Date.parse(next.lease_expires_at ?? '') - Date.now()) / 1000;
    expect(lease).toBeGreaterThan(500);
    expect(lease).toBeLessThanOrEqual(601);

    const text = await taskflow([
      'next',
      '--project',
      'queue',
      '--min-priority',
      'low',
      '--lease',
      '60',
    ]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^Claimed task \d+: later \[low, queue\] epoch 1, lease until /);
    const none = await taskflow(['next', '--project', 'queue']);
    expect(none.code).toBe(0);
    expect(none.stdout.trim()).toBe('No ready task to claim');

    const id = String(next.id);
    const beat = await json<Task>(['heartbeat', id, '--epoch', '1', '--lease', '900']);
    expect(Date.parse(beat.lease_expires_at ?? '') - Date.now()).toBeGreaterThan(800_000);
    const stale = await taskflow(['complete', id, '--epoch', '7']);
    expect(stale.code).toBe(5);
    expect(stale.stderr).toMatch(/claim_epoch 1, not 7/);
    expect((await json<Task>(['complete', id, '--epoch', '1'])).status).toBe('completed');
  });

  it('has --help on every command', async () => {
    const help = await taskflow(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('request-changes ID');
    const sub = await taskflow(['block', '--help']);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toMatch(/^usage: taskflow block ID \[options\]/);
    expect(sub.stdout).toContain('--reason');
  });

  it('logs in with an agent API key, and logs out', async () => {
    const ivy = await fetch(`${s.authUrl}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: s.authUrl },
      body: JSON.stringify({ email: 'ivy@example.com', password: 'ivy-password-123' }),
    });
    const cookie = ivy.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const created = (await (
      await fetch(`${s.authUrl}/api/agents`, {
        method: 'POST',
        headers: { cookie, origin: s.authUrl, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Shell Bot' }),
      })
    ).json()) as { api_key: string };
    const login = await taskflow(['login', '--api-key', created.api_key]);
    expect(login.code, login.stderr).toBe(0);
    expect(login.stderr).toMatch(/as Shell Bot \(agent\)/);
    expect((await taskflow(['whoami'])).stdout).toMatch(/agent/);
    const out = await taskflow(['logout']);
    expect(out.code).toBe(0);
    expect((await taskflow(['list'])).code).toBe(3);
  });
});

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChangeEvent, Task } from '@taskflow/contracts';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliAgainstStack } from './helpers/run';

const BIN = fileURLToPath(new URL('../bin/taskflow.mjs', import.meta.url));

/** `taskflow watch` as a long-running process: its stdout lines as they come. */
function watch(env: NodeJS.ProcessEnv, args: string[]) {
  const child: ChildProcess = spawn(process.execPath, [BIN, 'watch', ...args], { env });
  const lines: string[] = [];
  let stderr = '';
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts.filter(Boolean));
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    lines,
    stderr: () => stderr,
    exited,
    /** Waits until at least `n` lines have arrived. */
    async upTo(n: number) {
      await expect
        .poll(() => lines.length, { timeout: 15_000, interval: 50 })
        .toBeGreaterThanOrEqual(n);
      return lines.slice(0, n);
    },
    stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

describe('taskflow watch, as a real process following the live feed', () => {
  const cli = cliAgainstStack('taskflow-watch-');
  const { taskflow, json } = cli;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const s = cli.stack();
    await s.signUp('wes@example.com', 'Wes Watch', 'wes-password-123');
    const r = await taskflow(['login', '--email', 'wes@example.com'], {
      TASKFLOW_PASSWORD: 'wes-password-123',
    });
    expect(r.code, r.stderr).toBe(0);
    env = {
      PATH: process.env.PATH ?? '',
      HOME: cli.home(),
      TASKFLOW_URL: s.apiUrl,
      TASKFLOW_AUTH_URL: s.authUrl,
    };
    await json(['project', 'create', 'feed', 'Feed']);
  });

  it('prints each change as JSON lines as it happens, resumes with --since, and stops on SIGTERM', async () => {
    // From the start of the log: the project's creation is already there.
    const first = watch(env, ['--project', 'feed', '--since', '0', '--json']);
    const [created] = (await first.upTo(1)).map((l) => JSON.parse(l) as ChangeEvent);
    expect(created).toMatchObject({ action: 'project_created', project_slug: 'feed' });

    const task = await json<Task>(['create', 'Live one', '--project', 'feed']);
    await json(['start', String(task.id)]);
    const events = (await first.upTo(3)).map((l) => JSON.parse(l) as ChangeEvent);
    expect(events.slice(1).map((e) => [e.action, e.task_id, e.actor_type, e.client])).toEqual([
      ['created', task.id, 'human', 'cli'],
      ['started', task.id, 'human', 'cli'],
    ]);
    // The task as it stands now.
    expect(events[2]?.task).toMatchObject({ id: task.id, status: 'in_progress' });
    expect(await first.stop()).toBe(0);

    // While nobody watches, the task is finished; a watcher resuming after the last id sees it.
    await json(['complete', String(task.id)]);
    const resumed = watch(env, ['--project', 'feed', '--since', String(events[2]?.id), '--json']);
    const [missed] = (await resumed.upTo(1)).map((l) => JSON.parse(l) as ChangeEvent);
    expect(missed).toMatchObject({ action: 'completed', task_id: task.id });
    expect(missed?.id).toBeGreaterThan(events[2]?.id ?? Infinity);
    expect(await resumed.stop()).toBe(0);
    expect(resumed.lines).toHaveLength(1);
  });

  it('prints readable lines without --json', async () => {
    const w = watch(env, ['--project', 'feed']);
    // Live from now: keep making a change until the watcher is connected and sees one.
    const task = await json<Task>(['create', 'Readable', '--project', 'feed']);
    let n = 0;
    await expect
      .poll(
        async () => {
          await json(['edit', String(task.id), '--description', `edit ${++n}`]);
          return w.lines.length;
        },
        { timeout: 15_000, interval: 200 },
      )
      .toBeGreaterThan(0);
    const line = (action: string, status: string) =>
      new RegExp(
        `^\\d+  \\d\\d:\\d\\d:\\d\\d  ${action} #${task.id} "Readable" \\[${status}\\]  by human \\S+ \\(cli\\)  feed$`,
      );
    // Whether it connected before the create or after: every line reads the same way.
    expect(
      w.lines.every((l) => line('(created|updated)', 'pending').test(l)),
      w.lines[0],
    ).toBe(true);
    expect(await w.stop()).toBe(0);
  });

  it('exits 4 for a project it cannot see, and 2 for a bad --since', async () => {
    const missing = await taskflow(['watch', '--project', 'nope']);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/nope/);
    const bad = await taskflow(['watch', '--since', 'yesterday']);
    expect(bad.code).toBe(2);
  });
});

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('fixtures/main.ts', import.meta.url));

interface Exit {
  code: number | null;
  stderr: string;
}

function start(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<Exit>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    env: { ...process.env, ...env, LOG_PRETTY: 'false' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<Exit>((resolve) =>
    child.on('close', (code) => resolve({ code, stderr })),
  );
  return { child, output: () => stderr, exited };
}

const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('runService', () => {
  it('exits 78 with the problems when the configuration is refused', async () => {
    const { code, stderr } = await start({ FIXTURE: 'bad-config' }).exited;
    expect(code).toBe(78);
    expect(stderr).toContain('Fixture service cannot start. Invalid configuration');
    expect(stderr).toContain('PORT: must be a number');
  });

  it("exits with an error's own code (75) or 1 for a plain failure", async () => {
    expect((await start({ FIXTURE: 'busy' }).exited).code).toBe(75);
    const crash = await start({ FIXTURE: 'crash' }).exited;
    expect(crash.code).toBe(1);
    expect(crash.stderr).toContain('Fixture service failed to start: cannot reach the database');
  });

  it('lets an in-flight request finish on SIGTERM, then logs and exits 0', async () => {
    const { child, output, exited } = start({});
    let url: string | undefined;
    for (let i = 0; i < 200 && !url; i++) {
      await new Promise((r) => setTimeout(r, 50));
      url = jsonLines(output()).find((l) => l.msg === 'listening')?.url as string | undefined;
    }
    expect(url).toBeDefined();
    const slow = fetch(`${url}/slow`);
    await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    const res = await slow;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ done: true });
    const { code, stderr } = await exited;
    expect(code).toBe(0);
    const msgs = jsonLines(stderr).map((l) => l.msg);
    expect(msgs).toEqual(
      expect.arrayContaining(['listening', 'request', 'shutting down', 'stopped']),
    );
  });
});

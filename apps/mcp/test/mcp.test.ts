import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { type Stack, startStack } from '@taskflow/auth/testing';
import { CORE_TOOLS } from '@taskflow/mcp-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

type ToolResult = { isError?: boolean; content: { type: string; text: string }[] };

describe('the MCP server over stdio, as an agent, against a real API', () => {
  let s: Stack;
  let adminToken: string;
  const agents: { id: string; key: string }[] = [];
  const clients: Client[] = [];

  async function connect(key: string, env: Record<string, string> = {}): Promise<Client> {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['--import', 'tsx', MAIN],
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: {
        PATH: process.env.PATH ?? '',
        TASKFLOW_URL: s.apiUrl,
        TASKFLOW_AUTH_URL: s.authUrl,
        TASKFLOW_API_KEY: key,
        ...env,
      },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'taskflow-test-agent', version: '1.0.0' });
    await client.connect(transport);
    clients.push(client);
    return client;
  }

  const call = async (client: Client, name: string, args: Record<string, unknown> = {}) => {
    const result = (await client.callTool({ name, arguments: args })) as ToolResult;
    return {
      isError: result.isError === true,
      text: result.content[0]?.text ?? '',
      json: () => JSON.parse(result.content[0]?.text ?? 'null'),
    };
  };

  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${s.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    }).then((r) => r.json());

  beforeAll(async () => {
    s = await startStack();
    const admin = await s.signUp('admin@example.com', 'Ada Admin');
    adminToken = await s.tokenFor(admin.cookie);
    for (const name of ['Claude Worker', 'Second Agent']) {
      agents.push(await s.createAgent(admin.cookie, name));
    }
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await s.stop();
  });

  it('lists its tools with JSON schemas and truthful annotations', async () => {
    const client = await connect(agents[0]?.key ?? '');
    const { tools } = await client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect([...byName.keys()].sort()).toEqual(
      [
        'add_dependency',
        'assign_task',
        'block_task',
        'claim_next_task',
        'claim_task',
        'complete_task',
        'count_tasks',
        'create_task',
        'delete_task',
        'get_audit_trail',
        'get_changes',
        'get_task',
        'heartbeat',
        'list_projects',
        'list_tasks',
        'remove_dependency',
        'reopen_task',
        'request_changes',
        'submit_for_review',
        'unblock_task',
        'update_progress',
        'update_task',
      ].sort(),
    );
    expect(byName.get('list_tasks')?.annotations).toMatchObject({
      readOnlyHint: true,
      destructiveHint: false,
    });
    expect(byName.get('delete_task')?.annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: true,
    });
    expect(byName.get('claim_task')?.annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: false,
    });
    const progress = byName.get('update_progress')?.inputSchema as {
      properties: Record<string, { maximum?: number }>;
      required?: string[];
    };
    expect(progress.properties.percent?.maximum).toBe(100);
    expect(progress.required).toEqual(expect.arrayContaining(['id', 'percent']));
    const create = byName.get('create_task')?.inputSchema as {
      properties: Record<string, unknown>;
    };
    expect(Object.keys(create.properties)).toEqual(
      expect.arrayContaining(['title', 'priority', 'project_slug', 'tags']),
    );
  });

  it('does a write retried with the same idempotency_key once, and says what a bad key is', async () => {
    const client = await connect(agents[0]?.key ?? '');
    const { tools } = await client.listTools();
    for (const t of tools) {
      const properties = (t.inputSchema as { properties?: Record<string, unknown> }).properties;
      // Every write tool takes a key; no read tool does.
      expect('idempotency_key' in (properties ?? {}), t.name).toBe(!t.annotations?.readOnlyHint);
    }
    const args = { title: 'Keyed over stdio', idempotency_key: 'stdio-create-1' };
    const first = (await call(client, 'create_task', args)).json() as { id: number };
    const again = (await call(client, 'create_task', args)).json() as { id: number };
    expect(again.id).toBe(first.id);
    const changed = await call(client, 'create_task', { ...args, title: 'Another title' });
    expect(changed).toMatchObject({ isError: true });
    expect(changed.text).toMatch(/^422 /);
    const bad = await call(client, 'create_task', { title: 'x', idempotency_key: 'has space' });
    expect(bad.isError).toBe(true);
    expect(bad.text).toMatch(/idempotency_key/);
    const page = (await api('GET', '/api/tasks?q=Keyed%20over%20stdio')) as unknown[];
    expect(page).toHaveLength(1);
  });

  it('offers only the agent loop with TASKFLOW_MCP_TOOLS=core, each tool with an output schema', async () => {
    const client = await connect(agents[0]?.key ?? '', { TASKFLOW_MCP_TOOLS: 'core' });
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...CORE_TOOLS].sort());
    expect(tools.find((t) => t.name === 'claim_next_task')?.outputSchema).toMatchObject({
      type: 'object',
      properties: { task: expect.anything() },
    });
    await expect(
      connect(agents[0]?.key ?? '', { TASKFLOW_MCP_TOOLS: 'some' }),
      'an unknown set is refused at start',
    ).rejects.toThrow();
  });

  it('claims, reports and completes a task; the trail says agent via mcp', async () => {
    const [agent, second] = agents as [{ id: string; key: string }, { id: string; key: string }];
    const client = await connect(agent.key);
    const rival = await connect(second.key);
    // Both agents register on first call; a person adds them to a project with a task.
    await call(client, 'list_projects');
    await call(rival, 'list_projects');
    await api('POST', '/api/projects', { slug: 'agents', name: 'Agents' });
    await api('PUT', `/api/projects/agents/members/${agent.id}`, {});
    await api('PUT', `/api/projects/agents/members/${second.id}`, {});
    const task = (await api('POST', '/api/tasks', {
      title: 'Summarise the incident',
      project_slug: 'agents',
    })) as { id: number };

    const pending = (
      await call(client, 'list_tasks', { status: 'pending', project_slug: 'agents' })
    ).json();
    expect(pending.items.map((t: { id: number }) => t.id)).toEqual([task.id]);
    const detail = (await call(client, 'get_task', { id: task.id })).json();
    expect(detail.available_actions).toEqual(['start', 'block']);

    const claimed = await call(client, 'claim_task', { id: task.id });
    expect(claimed.isError).toBe(false);
    expect(claimed.json()).toMatchObject({ status: 'in_progress', assigned_to: agent.id });

    // The second agent's claim is refused as a tool error, not a crash.
    const refused = await call(rival, 'claim_task', { id: task.id });
    expect(refused.isError).toBe(true);
    expect(refused.text).toBe("409 CONFLICT: Cannot start task with status 'in_progress'");
    expect((await call(rival, 'list_projects')).isError).toBe(false);

    await call(client, 'update_progress', { id: task.id, percent: 80, note: 'draft written' });
    const done = await call(client, 'complete_task', { id: task.id });
    expect(done.json()).toMatchObject({ status: 'completed', progress_percent: 100 });

    const trail = (await call(client, 'get_audit_trail', { task_id: task.id })).json();
    expect(
      trail.items.map((e: { action: string; actor_type: string; via: string }) => [
        e.action,
        e.actor_type,
        e.via,
      ]),
    ).toEqual([
      ['created', 'human', 'rest'],
      ['started', 'agent', 'mcp'],
      ['progress', 'agent', 'mcp'],
      ['completed', 'agent', 'mcp'],
    ]);
  });

  it('claims the next ready task (each agent a different one), heartbeats it, and refuses a stale epoch', async () => {
    const [agent, second] = agents as [{ id: string; key: string }, { id: string; key: string }];
    const client = await connect(agent.key);
    const rival = await connect(second.key);
    await api('POST', '/api/projects', { slug: 'queue', name: 'Queue' });
    for (const a of [agent, second]) await api('PUT', `/api/projects/queue/members/${a.id}`, {});
    for (const [title, priority] of [
      ['routine', 'low'],
      ['urgent', 'critical'],
    ])
      await api('POST', '/api/tasks', { title, priority, project_slug: 'queue' });

    const [mine, theirs] = await Promise.all([
      call(client, 'claim_next_task', { project_slug: 'queue', lease_seconds: 60 }),
      call(rival, 'claim_next_task', { project_slug: 'queue' }),
    ]);
    expect(mine.isError, mine.text).toBe(false);
    expect(theirs.isError, theirs.text).toBe(false);
    const titles = [mine.json().task.title, theirs.json().task.title].sort();
    expect(titles).toEqual(['routine', 'urgent']);
    const { task } = mine.json();
    expect(task).toMatchObject({ status: 'in_progress', assigned_to: agent.id, claim_epoch: 1 });
    expect(task.available_actions).toContain('progress');
    expect((await call(client, 'claim_next_task', { project_slug: 'queue' })).json()).toEqual({
      task: null,
    });

    const beat = await call(client, 'heartbeat', {
      id: task.id,
      claim_epoch: 1,
      lease_seconds: 600,
    });
    expect(beat.isError, beat.text).toBe(false);
    expect(Date.parse(beat.json().lease_expires_at) - Date.now()).toBeGreaterThan(500_000);
    const foreign = await call(rival, 'heartbeat', { id: task.id });
    expect(foreign.isError).toBe(true);
    expect(foreign.text).toMatch(/^403 FORBIDDEN/);
    const stale = await call(client, 'complete_task', { id: task.id, claim_epoch: 0 });
    expect(stale.isError).toBe(true);
    expect(stale.text).toMatch(/^409 CONFLICT: .*claim_epoch 1, not 0/);
  });

  it('pages lists and keeps them compact unless asked', async () => {
    const client = await connect(agents[0]?.key ?? '');
    for (let i = 0; i < 5; i++)
      await call(client, 'create_task', {
        title: `Batch ${i}`,
        project_slug: 'agents',
        description: 'x'.repeat(500),
      });
    const first = (await call(client, 'list_tasks', { project_slug: 'agents', limit: 2 })).json();
    expect(first.items).toHaveLength(2);
    expect(first.next_cursor).toEqual(expect.any(String));
    expect(Object.keys(first.items[0]).sort()).toEqual([
      'assigned_to',
      'id',
      'priority',
      'progress',
      'project',
      'status',
      'title',
    ]);
    const last = (
      await call(client, 'list_tasks', {
        project_slug: 'agents',
        limit: 10,
        cursor: first.next_cursor,
      })
    ).json();
    expect(last.next_cursor).toBeNull();
    expect(last.items).toHaveLength(4);
    const ids = [...first.items, ...last.items].map((t: { id: number }) => t.id);
    expect(new Set(ids).size).toBe(6);
    const full = (
      await call(client, 'list_tasks', { project_slug: 'agents', limit: 1, detail: 'full' })
    ).json();
    expect(full.items[0].description).toHaveLength(500);
    // A count covers what a page does not: the same filters, every task.
    const counts = (await call(client, 'count_tasks', { project_slug: 'agents' })).json();
    expect(counts.total).toBe(6);
    expect(
      counts.pending + counts.in_progress + counts.review + counts.completed + counts.blocked,
    ).toBe(6);
    const batch = (
      await call(client, 'count_tasks', { project_slug: 'agents', q: 'batch' })
    ).json();
    expect(batch).toMatchObject({ pending: 5, total: 5 });
  });

  it('orders work with add_dependency and remove_dependency; claims wait for dependencies', async () => {
    const client = await connect(agents[0]?.key ?? '');
    await api('POST', '/api/projects', { slug: 'ordered', name: 'Ordered' });
    await api('PUT', `/api/projects/ordered/members/${agents[0]?.id}`, {});
    const make = async (title: string) =>
      (await call(client, 'create_task', { title, project_slug: 'ordered' })).json() as {
        id: number;
      };
    const later = await make('Write the report');
    const first = await make('Gather the data');

    const added = await call(client, 'add_dependency', { id: later.id, depends_on_id: first.id });
    expect(added.isError).toBe(false);
    expect(added.json()).toMatchObject({ id: later.id, blocked_by: [first.id] });
    const waiting = (await call(client, 'get_task', { id: later.id })).json();
    expect(waiting).toMatchObject({ waiting_for: [first.id], available_actions: ['block'] });

    const ready = (
      await call(client, 'list_tasks', { project_slug: 'ordered', ready: true })
    ).json();
    expect(ready.items.map((t: { id: number }) => t.id)).toEqual([first.id]);

    const refused = await call(client, 'claim_task', { id: later.id });
    expect(refused).toMatchObject({
      isError: true,
      text: `409 CONFLICT: Task ${later.id} waits for unfinished task ${first.id} "Gather the data" (pending): complete it first`,
    });
    const cycle = await call(client, 'add_dependency', { id: first.id, depends_on_id: later.id });
    expect(cycle.isError).toBe(true);
    expect(cycle.text).toMatch(/^422 UNPROCESSABLE_CONTENT: .*would be a cycle/);

    const removed = await call(client, 'remove_dependency', {
      id: later.id,
      depends_on_id: first.id,
    });
    expect(removed.json()).toMatchObject({ blocked_by: [] });
    expect((await call(client, 'claim_task', { id: later.id })).isError).toBe(false);
    const trail = (await call(client, 'get_audit_trail', { task_id: later.id })).json();
    expect(trail.items.map((e: { action: string; via: string }) => [e.action, e.via])).toEqual([
      ['created', 'mcp'],
      ['dependency_added', 'mcp'],
      ['dependency_removed', 'mcp'],
      ['started', 'mcp'],
    ]);
  });

  it('catches up on changes with get_changes: newest after a cursor, nothing twice, nothing of others', async () => {
    const client = await connect(agents[1]?.key ?? '');
    const start = (await call(client, 'get_changes', { limit: 100 })).json() as {
      next_cursor: number;
    };
    // Read to the end first: whatever earlier tests did is behind the cursor.
    let cursor = start.next_cursor;
    for (;;) {
      const page = (await call(client, 'get_changes', { after: cursor, limit: 100 })).json() as {
        items: unknown[];
        next_cursor: number;
      };
      if (page.items.length === 0) break;
      cursor = page.next_cursor;
    }
    const task = (await call(client, 'create_task', { title: 'Watched' })).json() as {
      id: number;
    };
    await call(client, 'claim_task', { id: task.id });
    // Another agent's task in its own default project: not this agent's to see.
    const other = await connect(agents[0]?.key ?? '');
    await call(other, 'create_task', { title: 'Not yours' });

    type Change = {
      id: number;
      action: string;
      actor_type: string;
      via: string;
      project: string;
      task_id: number | null;
      task: { status: string; title: string; project: string } | null;
    };
    // The feed serves what has settled: it may take the API a moment to see the commits.
    const read = async () => {
      const seen = await call(client, 'get_changes', { after: cursor });
      expect(seen.isError, seen.text).toBe(false);
      return seen.json() as { items: Change[]; next_cursor: number };
    };
    const mine = (page: { items: Change[] }) => page.items.filter((e) => e.task_id === task.id);
    await expect.poll(async () => mine(await read()).length, { timeout: 5_000 }).toBe(2);
    const page = await read();
    expect(mine(page).map((e) => [e.action, e.actor_type, e.via])).toEqual([
      ['created', 'agent', 'mcp'],
      ['started', 'agent', 'mcp'],
    ]);
    // The task as it stood once the change was made (or later), compact; and nothing from
    // the other agent's project.
    const watched = mine(page)[1]?.task;
    expect(watched).toMatchObject({ title: 'Watched', status: 'in_progress' });
    expect(page.items.every((e) => e.project === watched?.project)).toBe(true);
    expect(page.next_cursor).toBeGreaterThanOrEqual(page.items.at(-1)?.id ?? Infinity);
    const after = (await call(client, 'get_changes', { after: page.next_cursor })).json();
    expect(after).toEqual({ items: [], next_cursor: page.next_cursor });
  });

  it('reports invalid input and missing tasks as tool errors with the server message', async () => {
    const client = await connect(agents[0]?.key ?? '');
    const missing = await call(client, 'get_task', { id: 999999 });
    expect(missing).toMatchObject({ isError: true, text: '404 NOT_FOUND: Task 999999 not found' });
    const invalid = await call(client, 'update_progress', { id: 1, percent: 250 });
    expect(invalid.isError).toBe(true);
  });
});

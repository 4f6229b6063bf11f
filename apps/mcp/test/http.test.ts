import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { JsonSchemaType } from '@modelcontextprotocol/sdk/validation/types.js';
import { type App, createApp } from '@taskflow/api';
import { type ServiceProcess, startService, waitForHealth } from '@taskflow/api/testing';
import { freePort, type Stack, startStack } from '@taskflow/auth/testing';
import { CORE_TOOLS, TaskWithActions, TOOLS } from '@taskflow/mcp-tools';
import { createLogger } from '@taskflow/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const API_DIR = fileURLToPath(new URL('../../api', import.meta.url));
const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

type ToolResult = {
  isError?: boolean;
  content: { type: string; text: string }[];
  structuredContent?: Record<string, unknown>;
};

/**
 * MCP over Streamable HTTP at the API's /mcp, driven by the SDK's own client against a
 * real API process (and the identity service) on loopback.
 */
describe('the MCP server over HTTP at /mcp', () => {
  let s: Stack;
  let api: ServiceProcess;
  let apiUrl: string;
  let adminToken: string;
  let agent: { id: string; key: string };
  let agentToken: string;
  const clients: Client[] = [];

  async function connect(headers: Record<string, string>, query = ''): Promise<Client> {
    const transport = new StreamableHTTPClientTransport(new URL(`${apiUrl}/mcp${query}`), {
      requestInit: { headers },
    });
    const client = new Client({ name: 'remote-agent', version: '1.0.0' });
    await client.connect(transport);
    clients.push(client);
    return client;
  }

  const call = async (client: Client, name: string, args: Record<string, unknown> = {}) => {
    const result = (await client.callTool({ name, arguments: args })) as ToolResult;
    return {
      isError: result.isError === true,
      text: result.content[0]?.text ?? '',
      structured: result.structuredContent,
    };
  };

  const rest = (method: string, path: string, body?: unknown) =>
    fetch(`${apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    }).then((r) => r.json());

  const initialize = {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'curl', version: '1' },
    },
  };
  const post = (headers: Record<string, string>) =>
    fetch(`${apiUrl}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...headers,
      },
      body: JSON.stringify(initialize),
    });

  beforeAll(async () => {
    s = await startStack();
    const port = await freePort();
    apiUrl = `http://127.0.0.1:${port}`;
    api = startService(API_DIR, {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      PORT: String(port),
      DATABASE_URL: s.database.url,
      AUTH_SERVER_URL: s.authUrl,
      AUTH_ISSUER: s.config.baseUrl,
      AUTH_AUDIENCE: s.config.audience,
      LEASE_SWEEP_INTERVAL_MS: '0',
    });
    await waitForHealth(`${apiUrl}/health`, api);
    const admin = await s.signUp('admin@example.com', 'Ada Admin');
    adminToken = await s.tokenFor(admin.cookie);
    agent = await s.createAgent(admin.cookie, 'Remote Worker');
    const exchanged = await fetch(`${s.authUrl}/api/agents/token`, {
      method: 'POST',
      headers: { 'x-api-key': agent.key },
    });
    agentToken = ((await exchanged.json()) as { token: string }).token;
  }, 90_000);
  afterAll(async () => {
    for (const c of clients) await c.close();
    api?.child.kill('SIGTERM');
    await api?.exited;
    await s?.stop();
  });

  it('answers 401 with a Bearer challenge without credentials, or with bad ones', async () => {
    const none = await post({});
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="taskflow"');
    expect(await none.json()).toMatchObject({ code: 'UNAUTHORIZED', status_code: 401 });

    const bads: Record<string, string>[] = [
      { authorization: 'Bearer not.a.jwt' },
      { 'x-api-key': 'tf_not-a-key' },
      { authorization: 'Bearer tf_not-a-key' },
    ];
    for (const headers of bads) {
      const bad = await post(headers);
      expect(bad.status, JSON.stringify(headers)).toBe(401);
      expect(bad.headers.get('www-authenticate')).toBe(
        'Bearer realm="taskflow", error="invalid_token"',
      );
    }
    // The SDK's client sees the refusal too, rather than a session that fails later.
    const transport = new StreamableHTTPClientTransport(new URL(`${apiUrl}/mcp`));
    await expect(new Client({ name: 'x', version: '1' }).connect(transport)).rejects.toThrow();
  });

  it('lists every tool with input and output schemas; ?tools=core trims to the agent loop', async () => {
    const all = await connect({ authorization: `Bearer ${agentToken}` });
    const { tools } = await all.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOLS.map((t) => t.name).sort());
    for (const tool of tools) {
      expect(tool.outputSchema, tool.name).toMatchObject({ type: 'object' });
      expect(tool.inputSchema, tool.name).toMatchObject({ type: 'object' });
    }
    const core = await connect({ 'x-api-key': agent.key }, '?tools=core');
    expect((await core.listTools()).tools.map((t) => t.name).sort()).toEqual(
      [...CORE_TOOLS].sort(),
    );
    const refused = await fetch(`${apiUrl}/mcp?tools=some`, {
      method: 'POST',
      headers: { authorization: `Bearer ${agentToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(initialize),
    });
    expect(refused.status).toBe(400);
  });

  it('offers the same tools, schemas and annotations over stdio and HTTP', async () => {
    const stdio = new Client({ name: 'local-agent', version: '1.0.0' });
    await stdio.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: ['--import', 'tsx', MAIN],
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        env: {
          PATH: process.env.PATH ?? '',
          TASKFLOW_URL: apiUrl,
          TASKFLOW_AUTH_URL: s.authUrl,
          TASKFLOW_API_KEY: agent.key,
        },
        stderr: 'pipe',
      }),
    );
    clients.push(stdio);
    const http = await connect({ authorization: `Bearer ${agentToken}` });
    const byName = (list: { name: string }[]) =>
      [...list].sort((a, b) => a.name.localeCompare(b.name));
    expect(byName((await http.listTools()).tools)).toEqual(byName((await stdio.listTools()).tools));
  }, 30_000);

  it('claims the next task and completes it, with a bearer token and with an agent key; the trail says agent via mcp', async () => {
    await call(await connect({ 'x-api-key': agent.key }), 'list_projects');
    await rest('POST', '/api/projects', { slug: 'remote', name: 'Remote' });
    await rest('PUT', `/api/projects/remote/members/${agent.id}`, {});
    const first = (await rest('POST', '/api/tasks', {
      title: 'Triage the queue',
      priority: 'high',
      project_slug: 'remote',
    })) as { id: number };
    const second = (await rest('POST', '/api/tasks', {
      title: 'Tidy the labels',
      project_slug: 'remote',
    })) as { id: number };
    const validator = new AjvJsonSchemaValidator();

    for (const [headers, expected] of [
      [{ authorization: `Bearer ${agentToken}` }, first],
      [{ authorization: `Bearer ${agent.key}` }, second],
    ] as const) {
      const client = await connect(headers);
      const { tools } = await client.listTools();
      const schemaOf = (name: string) =>
        tools.find((t) => t.name === name)?.outputSchema as JsonSchemaType;

      const claimed = await call(client, 'claim_next_task', { project_slug: 'remote' });
      expect(claimed.isError, claimed.text).toBe(false);
      expect(validator.getValidator(schemaOf('claim_next_task'))(claimed.structured).valid).toBe(
        true,
      );
      expect(JSON.parse(claimed.text)).toEqual(claimed.structured);
      const task = TaskWithActions.parse(claimed.structured?.task);
      expect(task).toMatchObject({
        id: expected.id,
        status: 'in_progress',
        assigned_to: agent.id,
        claim_epoch: 1,
      });
      expect(task.available_actions).toContain('complete');

      const done = await call(client, 'complete_task', { id: task.id, claim_epoch: 1 });
      expect(done.isError, done.text).toBe(false);
      expect(validator.getValidator(schemaOf('complete_task'))(done.structured).valid).toBe(true);
      expect(done.structured).toMatchObject({ status: 'completed', progress_percent: 100 });

      const trail = await call(client, 'get_audit_trail', { task_id: task.id });
      expect(validator.getValidator(schemaOf('get_audit_trail'))(trail.structured).valid).toBe(
        true,
      );
      const entries = (trail.structured?.items ?? []) as {
        action: string;
        actor: string;
        actor_type: string;
        via: string;
      }[];
      expect(entries.map((e) => [e.action, e.actor_type, e.via])).toEqual([
        ['created', 'human', 'rest'],
        ['started', 'agent', 'mcp'],
        ['completed', 'agent', 'mcp'],
      ]);
      expect(entries[1]?.actor).toBe(agent.id);
    }
    const empty = await call(await connect({ 'x-api-key': agent.key }), 'claim_next_task', {
      project_slug: 'remote',
    });
    expect(empty.structured).toEqual({ task: null });
  });

  it('runs a retried call with the same Idempotency-Key once', async () => {
    const retry = () =>
      fetch(`${apiUrl}/mcp`, {
        method: 'POST',
        headers: {
          'x-api-key': agent.key,
          'idempotency-key': 'mcp-create-1',
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 7,
          method: 'tools/call',
          params: {
            name: 'create_task',
            arguments: { title: 'Once only', project_slug: 'remote' },
          },
        }),
      }).then(async (r) => {
        expect(r.status).toBe(200);
        const body = (await r.json()) as { result: ToolResult };
        expect(body.result.isError, body.result.content[0]?.text).toBeFalsy();
        return body.result.structuredContent as { id: number };
      });
    const first = await retry();
    const second = await retry();
    expect(second.id).toBe(first.id);
    const titles = (await rest('GET', '/api/tasks?project_slug=remote&limit=100')) as {
      title: string;
    }[];
    expect(titles.filter((t) => t.title === 'Once only')).toHaveLength(1);
  });

  it('does a tool call retried with the same idempotency_key argument once, in a batch too', async () => {
    const client = await connect({ 'x-api-key': agent.key });
    const args = { title: 'Keyed over HTTP', project_slug: 'remote', idempotency_key: 'http-1' };
    const first = await call(client, 'create_task', args);
    const again = await call(client, 'create_task', args);
    expect(first.isError, first.text).toBe(false);
    expect((again.structured as { id: number }).id).toBe((first.structured as { id: number }).id);
    // Two keyed calls in one JSON-RPC batch, sent twice: each call has its own key, so each runs once.
    const batch = () =>
      fetch(`${apiUrl}/mcp`, {
        method: 'POST',
        headers: {
          'x-api-key': agent.key,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify(
          [1, 2].map((id) => ({
            jsonrpc: '2.0',
            id,
            method: 'tools/call',
            params: { name: 'create_task', arguments: { ...args, idempotency_key: `http-b${id}` } },
          })),
        ),
      }).then(async (r) => {
        expect(r.status).toBe(200);
        const answers = (await r.json()) as { result: ToolResult }[];
        return answers.map((a) => (a.result.structuredContent as { id: number } | undefined)?.id);
      });
    const ids = await batch();
    expect(ids.every((id) => typeof id === 'number')).toBe(true);
    expect(await batch()).toEqual(ids);
    const titles = (await rest('GET', '/api/tasks?project_slug=remote&limit=100')) as {
      title: string;
    }[];
    expect(titles.filter((t) => t.title === 'Keyed over HTTP')).toHaveLength(3);
  });

  it("gives the API's refusals as tool errors, in the API's words, without stack traces", async () => {
    const client = await connect({ 'x-api-key': agent.key });
    const missing = await call(client, 'get_task', { id: 999999 });
    expect(missing).toMatchObject({ isError: true, text: '404 NOT_FOUND: Task 999999 not found' });
    expect(missing.structured).toBeUndefined();
    const done = (await rest('POST', '/api/tasks', {
      title: 'Already done',
      project_slug: 'remote',
    })) as { id: number };
    await call(client, 'claim_task', { id: done.id });
    const again = await call(client, 'claim_task', { id: done.id });
    expect(again).toMatchObject({
      isError: true,
      text: "409 CONFLICT: Cannot start task with status 'in_progress'",
    });
    const invalid = await call(client, 'update_progress', { id: done.id, percent: 250 });
    expect(invalid.isError).toBe(true);
    expect(invalid.text).not.toMatch(/\n\s+at /);
  });
});

describe('/mcp within the API limits', () => {
  let s: Stack;
  let app: App;
  let url: string;
  let key: string;

  beforeAll(async () => {
    s = await startStack();
    app = createApp({
      db: s.database.db,
      logger: createLogger({ service: 'api', level: 'silent' }),
      auth: {
        jwksUrl: new URL(`${s.authUrl}/api/auth/jwks`),
        issuer: s.config.baseUrl,
        audience: s.config.audience,
      },
      bodyLimitBytes: 4096,
      rateLimit: { perMinute: 3 },
      mcp: { tools: 'core' },
    });
    url = await app.listen(0);
    const admin = await s.signUp('limits@example.com', 'Lim Admin');
    key = (await s.createAgent(admin.cookie, 'Busy Agent')).key;
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await s?.stop();
  });

  it("offers the app's default tool set (core here) and counts tool calls against the caller's rate limit", async () => {
    const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      requestInit: { headers: { 'x-api-key': key } },
    });
    const client = new Client({ name: 'busy', version: '1' });
    await client.connect(transport);
    try {
      expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(
        [...CORE_TOOLS].sort(),
      );
      const results: ToolResult[] = [];
      for (let i = 0; i < 4; i++)
        results.push((await client.callTool({ name: 'list_tasks', arguments: {} })) as ToolResult);
      expect(results.slice(0, 3).map((r) => r.isError === true)).toEqual([false, false, false]);
      expect(results[3]).toMatchObject({ isError: true });
      expect(results[3]?.content[0]?.text).toMatch(
        /^429 TOO_MANY_REQUESTS: Rate limit exceeded: 3 calls a minute per caller/,
      );
    } finally {
      await client.close();
    }
  });

  it('refuses a body over the API body limit with 413', async () => {
    const res = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: {
        'x-api-key': key,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'list_tasks', arguments: { q: 'x'.repeat(5000) } },
      }),
    });
    expect(res.status).toBe(413);
  });

  it('answers 503 for an agent key while the identity service cannot be reached', async () => {
    const closed = await freePort();
    const cut = createApp({
      db: s.database.db,
      logger: createLogger({ service: 'api', level: 'silent' }),
      auth: { jwksUrl: new URL(`${s.authUrl}/api/auth/jwks`) },
      mcp: { authUrl: `http://127.0.0.1:${closed}` },
    });
    const cutUrl = await cut.listen(0);
    try {
      const res = await fetch(`${cutUrl}/mcp`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
      });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    } finally {
      await cut.close();
    }
  });

  it('answers GET (no standalone stream in stateless mode) with 405', async () => {
    const res = await fetch(`${url}/mcp`, { headers: { 'x-api-key': key } });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });
});

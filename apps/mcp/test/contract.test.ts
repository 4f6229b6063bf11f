import { REST_ROUTES } from '@taskflow/api';
import { CLI_EXCEPTIONS, COMMANDS } from '@taskflow/cli';
import { MOVES, TASK_ACTIONS } from '@taskflow/contracts';
import { CORE_TOOLS, MCP_EXCEPTIONS, TOOLS, toolsOf } from '@taskflow/mcp-tools';
import { appRouter, type ProcedurePath, unwrapSync } from '@taskflow/router';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const procedures = Object.keys(appRouter._def.procedures).sort() as ProcedurePath[];

/** Every procedure is reachable from every client, or is listed as a deliberate exception with a reason. */
describe('clients cannot drift from the API', () => {
  it('knows the router has procedures to check', () => {
    expect(procedures.length).toBeGreaterThan(20);
  });

  it.each(procedures)(
    '%s has a REST route, a CLI command and an MCP tool (or a stated exception)',
    (procedure) => {
      const missing: string[] = [];
      if (!REST_ROUTES.some((r) => r.procedure === procedure)) missing.push('REST route');
      if (!COMMANDS.some((c) => c.procedure === procedure) && !CLI_EXCEPTIONS[procedure])
        missing.push('CLI command');
      if (!TOOLS.some((t) => t.procedure === procedure) && !MCP_EXCEPTIONS[procedure])
        missing.push('MCP tool');
      expect(missing, `${procedure} lacks: ${missing.join(', ')}`).toEqual([]);
    },
  );

  it('lists no exception for a procedure that is covered or gone', () => {
    for (const [procedure] of Object.entries(CLI_EXCEPTIONS)) {
      expect(procedures).toContain(procedure);
      expect(
        COMMANDS.some((c) => c.procedure === procedure),
        `${procedure} has a command and an exception`,
      ).toBe(false);
    }
    for (const [procedure] of Object.entries(MCP_EXCEPTIONS)) {
      expect(procedures).toContain(procedure);
      expect(
        TOOLS.some((t) => t.procedure === procedure),
        `${procedure} has a tool and an exception`,
      ).toBe(false);
    }
  });

  it('points every command and tool at a procedure that exists', () => {
    for (const c of COMMANDS) if (c.procedure) expect(procedures, c.name).toContain(c.procedure);
    for (const t of TOOLS) expect(procedures, t.name).toContain(t.procedure);
  });
});

/** The workflow's moves come from one table: every surface has each row, under the row's names. */
describe('every surface is built from (or held to) the MOVES table', () => {
  it('has a row for each move of the transition table', () => {
    expect(Object.keys(MOVES).sort()).toEqual([...TASK_ACTIONS].sort());
  });

  it.each(TASK_ACTIONS)('%s: procedure, REST route, CLI command and MCP tool', (action) => {
    const row = MOVES[action];
    const procedure = `tasks.${action}` as ProcedurePath;
    // At run time the router keeps its procedures flat, under 'tasks.start' and the like.
    const procedures = appRouter._def.procedures as unknown as Record<
      string,
      { _def: { inputs: unknown[] } } | undefined
    >;
    const def = procedures[procedure];
    expect(def?._def.inputs.map(unwrapSync)).toEqual([row.input]);

    const route = REST_ROUTES.find((r) => r.procedure === procedure);
    expect(route).toMatchObject({
      method: 'POST',
      path: `/api/tasks/{id}/${row.rest}`,
      summary: row.summary,
      input: 'restQuery' in row ? 'query+body' : 'body',
    });
    expect(COMMANDS.find((c) => c.procedure === procedure)?.name).toBe(row.cli);
    expect(TOOLS.find((t) => t.procedure === procedure)?.name).toBe(row.mcp);
  });
});

/** Both transports serve this table (http.test.ts holds them to the same list); here, its shape. */
describe('the MCP tool table', () => {
  it.each(TOOLS.map((t) => t.name))('%s declares an object outputSchema', (name) => {
    const tool = TOOLS.find((t) => t.name === name);
    expect(z.toJSONSchema(tool?.output ?? z.never(), { io: 'output' })).toMatchObject({
      type: 'object',
    });
  });

  it('keeps the core set to tools that exist, and all to every tool', () => {
    expect(toolsOf('core').map((t) => t.name)).toEqual(
      TOOLS.map((t) => t.name).filter((n) => CORE_TOOLS.includes(n)),
    );
    expect(toolsOf('core')).toHaveLength(CORE_TOOLS.length);
    expect(toolsOf('all')).toEqual(TOOLS);
  });
});

import { appRouter, type ProcedurePath, REST_ROUTES } from '@taskflow/api';
import { CLI_EXCEPTIONS, COMMANDS } from '@taskflow/cli';
import { describe, expect, it } from 'vitest';
import { MCP_EXCEPTIONS, TOOLS } from '../src/tools';

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

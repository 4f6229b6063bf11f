import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { McpApiClient } from './client';
import { callTool, type ToolSet, toolsOf } from './tools';

export interface McpServerOptions {
  /** Which tools to offer: all (default) or the agent loop's core. */
  tools?: ToolSet;
  /** The caller's worker id, when the host already knows it (else asked of workers.me once). */
  workerId?: string;
}

/**
 * The MCP server: one tool per agent action, each calling the same procedure as the
 * web app and CLI through `client` (over HTTP for stdio, in-process on the API's /mcp).
 */
export function createMcpServer(client: McpApiClient, options: McpServerOptions = {}): McpServer {
  const server = new McpServer(
    { name: 'taskflow', version: '0.1.0' },
    {
      instructions:
        'TaskFlow is a task board shared by people and agents. claim_next_task takes the next ready task (or list_tasks with status "pending" finds work); heartbeat keeps the claim; update_progress reports; submit_for_review or complete_task finishes. Lists are paged: pass next_cursor back as cursor until it is null.',
    },
  );
  let myId: Promise<string> | undefined;
  const me = () => {
    myId ??= options.workerId
      ? Promise.resolve(options.workerId)
      : client.workers.me.query().then((w) => w.id);
    return myId;
  };
  for (const tool of toolsOf(options.tools ?? 'all')) {
    server.registerTool(
      tool.name,
      {
        description: tool.description,
        inputSchema: tool.input,
        outputSchema: tool.output,
        annotations: tool.annotations,
      },
      (input: unknown) => callTool(tool, client, input, me),
    );
  }
  return server;
}

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { TaskflowClient } from '@taskflow/client';
import { callTool, TOOLS } from './tools';

/** The MCP server: one tool per agent action, each calling the same procedure as the web app and CLI. */
export function createMcpServer(client: TaskflowClient): McpServer {
  const server = new McpServer(
    { name: 'taskflow', version: '0.1.0' },
    {
      instructions:
        'TaskFlow is a task board shared by people and agents. list_tasks (status "pending") finds work; claim_task takes it; update_progress reports; submit_for_review or complete_task finishes. Lists are paged: pass next_cursor back as cursor until it is null.',
    },
  );
  let myId: Promise<string> | undefined;
  const me = () => {
    myId ??= client.workers.me.query().then((w) => w.id);
    return myId;
  };
  for (const tool of TOOLS) {
    server.registerTool(
      tool.name,
      { description: tool.description, inputSchema: tool.input, annotations: tool.annotations },
      (input: unknown) => callTool(tool, client, input, me),
    );
  }
  return server;
}

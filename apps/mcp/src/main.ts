import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createTaskflowClient } from '@taskflow/client';
import { createMcpServer, parseToolSet } from '@taskflow/mcp-tools';

// stdio MCP server. Authenticates as an agent: TASKFLOW_API_KEY (exchanged at
// TASKFLOW_AUTH_URL) or TASKFLOW_TOKEN; the API at TASKFLOW_URL; TASKFLOW_MCP_TOOLS=core|all.
const env = process.env;
const url = env.TASKFLOW_URL ?? 'http://localhost:8000';
const authUrl = env.TASKFLOW_AUTH_URL ?? 'http://localhost:3001';
if (!env.TASKFLOW_API_KEY && !env.TASKFLOW_TOKEN) {
  process.stderr.write(
    'taskflow-mcp: set TASKFLOW_API_KEY (an agent key from an admin) or TASKFLOW_TOKEN\n',
  );
  process.exit(2);
}
let tools: ReturnType<typeof parseToolSet>;
try {
  tools = parseToolSet(env.TASKFLOW_MCP_TOOLS);
} catch (error) {
  process.stderr.write(`taskflow-mcp: TASKFLOW_MCP_TOOLS: ${(error as Error).message}\n`);
  process.exit(2);
}
const client = env.TASKFLOW_TOKEN
  ? createTaskflowClient({ url, token: env.TASKFLOW_TOKEN, clientName: 'mcp' })
  : createTaskflowClient({ url, apiKey: env.TASKFLOW_API_KEY, authUrl, clientName: 'mcp' });
const server = createMcpServer(client, { tools });
await server.connect(new StdioServerTransport());
process.stderr.write(`taskflow-mcp: serving ${url} over stdio (${tools} tools)\n`);

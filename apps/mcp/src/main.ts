import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createTaskflowClient } from '@taskflow/client';
import { createMcpServer } from './server';

// stdio MCP server. Authenticates as an agent: TASKFLOW_API_KEY (exchanged at
// TASKFLOW_AUTH_URL) or TASKFLOW_TOKEN; the API at TASKFLOW_URL.
const env = process.env;
const url = env.TASKFLOW_URL ?? 'http://localhost:8000';
const authUrl = env.TASKFLOW_AUTH_URL ?? 'http://localhost:3001';
if (!env.TASKFLOW_API_KEY && !env.TASKFLOW_TOKEN) {
  process.stderr.write(
    'taskflow-mcp: set TASKFLOW_API_KEY (an agent key from an admin) or TASKFLOW_TOKEN\n',
  );
  process.exit(2);
}
const client = env.TASKFLOW_TOKEN
  ? createTaskflowClient({ url, token: env.TASKFLOW_TOKEN, clientName: 'mcp' })
  : createTaskflowClient({ url, apiKey: env.TASKFLOW_API_KEY, authUrl, clientName: 'mcp' });
const server = createMcpServer(client);
await server.connect(new StdioServerTransport());
process.stderr.write(`taskflow-mcp: serving ${url} over stdio\n`);

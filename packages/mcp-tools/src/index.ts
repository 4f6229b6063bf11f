// The MCP tool table and server, shared by the stdio server (apps/mcp) and the API's /mcp.
export type { McpApiClient } from './client';
export { describeToolFailure, type ToolFailure } from './failure';
export { createMcpServer, type McpServerOptions } from './server';
export {
  CORE_TOOLS,
  callTool,
  DEFAULT_PAGE,
  MCP_EXCEPTIONS,
  parseToolSet,
  summarize,
  TaskSummary,
  TaskWithActions,
  TOOL_SETS,
  TOOLS,
  type Tool,
  type ToolSet,
  toolsOf,
} from './tools';

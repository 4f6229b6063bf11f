export { createMcpServer } from './server';
export { callTool, DEFAULT_PAGE, MCP_EXCEPTIONS, summarize, TOOLS, type Tool } from './tools';

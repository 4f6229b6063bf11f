export * from '@taskflow/mcp-tools';

import type { ServerResponse } from 'node:http';
import type { StreamGuard } from '@taskflow/router';

/** How the change feed watches a streaming response's socket. */
export function streamGuardOf(res: ServerResponse): StreamGuard {
  return {
    buffered: () => res.writableLength,
    blocked: () => res.writableNeedDrain,
    disconnect: () => res.destroy(),
  };
}

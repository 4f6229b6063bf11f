import type { ServerResponse } from 'node:http';
import type { ErrorBody } from '@taskflow/contracts';
import { sendJson } from './respond';

/** The error shape every TaskFlow service answers with (packages/contracts defines it). */
export function httpErrorBody(status: number, code: string, message: string): ErrorBody {
  return { error: message, status_code: status, code };
}

/** Answers with the error shape, or drops the connection if a response already started. */
export function sendHttpError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const requestId = res.getHeader('x-request-id');
  sendJson(res, status, {
    ...httpErrorBody(status, code, message),
    ...(typeof requestId === 'string' && { request_id: requestId }),
  });
}

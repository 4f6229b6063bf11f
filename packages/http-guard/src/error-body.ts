import type { ServerResponse } from 'node:http';
import { sendJson } from './respond';

/** The error shape every TaskFlow service answers with. */
export interface HttpErrorBody {
  error: string;
  status_code: number;
  code: string;
  /** The X-Request-Id of the request, for matching a report to the service's logs. */
  request_id?: string;
}

export function httpErrorBody(status: number, code: string, message: string): HttpErrorBody {
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

import type { ServerResponse } from 'node:http';

/** The error shape every TaskFlow service answers with. */
export interface HttpErrorBody {
  error: string;
  status_code: number;
  code: string;
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
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  });
  res.end(JSON.stringify(httpErrorBody(status, code, message)));
}

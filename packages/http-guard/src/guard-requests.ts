import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { sendHttpError } from './error-body';
import { isValidHost, parseRequestTarget } from './request-target';

export type LogFn = (msg: string, fields: Record<string, unknown>) => void;

/** A request listener that is handed the request target already parsed. */
export type GuardedListener = (
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
) => void | Promise<void>;

export function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/**
 * Wraps a request listener so that no request can end the process: a target
 * that is not a decodable origin-form path, or a Host that is not a host, gets
 * 400 before the listener runs,
 * and whatever the listener throws (or rejects with) is logged and answered 500.
 */
export function guardRequests(listener: GuardedListener, logError: LogFn): RequestListener {
  return (req, res) => {
    const url = parseRequestTarget(req.url);
    if (!url)
      return sendHttpError(res, 400, 'BAD_REQUEST', 'The request target is not a valid path');
    if (!isValidHost(req.headers.host))
      return sendHttpError(res, 400, 'BAD_REQUEST', 'The Host header is not a valid host');
    // HTTP/1.1 requires one (RFC 9112 3.2); the servers let it through Node so it is answered here.
    if (req.headers.host === undefined && req.httpVersion !== '1.0')
      return sendHttpError(res, 400, 'BAD_REQUEST', 'HTTP/1.1 requests need a Host header');
    const fail = (error: unknown) => {
      logError('request failed', { method: req.method, error: describeError(error) });
      sendHttpError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
    };
    try {
      const pending = listener(req, res, url);
      if (pending) pending.catch(fail);
    } catch (error) {
      fail(error);
    }
  };
}

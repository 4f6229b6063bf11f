import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { ResolvedAddress } from './network-guard';

export interface PostOutcome {
  /** The endpoint's status; null when no response came. */
  statusCode: number | null;
  /** Why it failed; null on a 2xx. */
  error: string | null;
  durationMs: number;
}

export interface PostOptions {
  url: URL;
  /** Checked addresses to connect to: the host name is not resolved again. */
  addresses: readonly ResolvedAddress[];
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** The most of the response body read (for the error message); the rest is dropped. */
  maxResponseBytes: number;
  /** Aborts the request (the process is stopping): the attempt fails and is retried. */
  signal?: AbortSignal | undefined;
}

/** A lookup that answers only the addresses already checked (connect.lookup pinning). */
function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) {
      callback(
        null,
        addresses.map((a) => ({ address: a.address, family: a.family })),
      );
      return;
    }
    const wanted = options.family === 6 || options.family === 4 ? options.family : undefined;
    const first = addresses.find((a) => !wanted || a.family === wanted) ?? addresses[0];
    if (!first) callback(new Error('no address to connect to'), '', 4);
    else callback(null, first.address, first.family);
  };
}

/**
 * One POST, never following a redirect (a 3xx is a failure: the endpoint must be the
 * URL that was checked), bounded in time as a whole and in how much of the answer is read.
 */
export function postWebhook(options: PostOptions): Promise<PostOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const transport = options.url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (statusCode: number | null, error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', abort);
      resolve({ statusCode, error, durationMs: elapsed() });
    };
    const request = transport.request(options.url, {
      method: 'POST',
      headers: {
        ...options.headers,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(options.body),
        'user-agent': 'TaskFlow-Webhooks/1',
      },
      lookup: pinnedLookup(options.addresses),
      agent: false,
    });
    const timer = setTimeout(() => {
      finish(null, `timed out after ${options.timeoutMs} ms`);
      request.destroy();
    }, options.timeoutMs);
    request.on('error', (error) => finish(null, error.message || String(error)));
    const abort = () => {
      finish(null, 'aborted: the sending process was stopping');
      request.destroy();
    };
    if (options.signal?.aborted) abort();
    else options.signal?.addEventListener('abort', abort, { once: true });
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let read = 0;
      const done = () => {
        const snippet = Buffer.concat(chunks).toString('utf8').slice(0, options.maxResponseBytes);
        if (status >= 200 && status < 300) finish(status, null);
        else if (status >= 300 && status < 400)
          finish(status, `HTTP ${status}: redirects are not followed`);
        else finish(status, `HTTP ${status}${snippet ? `: ${snippet}` : ''}`);
        response.destroy();
        request.destroy();
      };
      response.on('data', (chunk: Buffer) => {
        if (read < options.maxResponseBytes)
          chunks.push(chunk.subarray(0, options.maxResponseBytes - read));
        read += chunk.length;
        if (read >= options.maxResponseBytes) done();
      });
      response.on('end', done);
      response.on('error', () => done());
    });
    request.end(options.body);
  });
}

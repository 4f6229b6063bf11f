import http from 'node:http';

export interface Answer {
  /** 0 when the request failed at the socket. */
  status: number;
  json: unknown;
  headers: http.IncomingHttpHeaders;
  ms: number;
}

export type Send = (method: string, path: string, body?: unknown) => Promise<Answer>;

/** A keep-alive JSON client with one bearer token and at most `sockets` connections. */
export function httpClient(baseUrl: string, token: string, sockets = 1): Send {
  const base = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  return (method, path, body) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const started = performance.now();
    return new Promise((resolve) => {
      const req = http.request(
        {
          host: base.hostname,
          port: base.port,
          method,
          path,
          agent,
          headers: {
            accept: 'application/json',
            authorization: `Bearer ${token}`,
            ...(data && { 'content-type': 'application/json', 'content-length': data.length }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            let json: unknown = null;
            try {
              json = text ? JSON.parse(text) : null;
            } catch {
              // not JSON: the status says enough
            }
            const ms = performance.now() - started;
            resolve({ status: res.statusCode ?? 0, json, headers: res.headers, ms });
          });
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
      req.on('error', () =>
        resolve({ status: 0, json: null, headers: {}, ms: performance.now() - started }),
      );
      if (data) req.write(data);
      req.end();
    });
  };
}

/** The p-th percentile (0..100) of latencies, nearest rank. */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? 0;
}

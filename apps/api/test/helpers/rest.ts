export interface RestResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RestOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A plain fetch-based REST client, as a non-tRPC caller would write one. */
export function restClient(baseUrl: string) {
  return async <T = unknown>(
    method: string,
    path: string,
    options: RestOptions = {},
  ): Promise<RestResponse<T>> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body:
        options.body === undefined
          ? undefined
          : typeof options.body === 'string'
            ? options.body
            : JSON.stringify(options.body),
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      body: (text ? JSON.parse(text) : undefined) as T,
    };
  };
}

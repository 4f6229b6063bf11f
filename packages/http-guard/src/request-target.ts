/**
 * The URL of an origin-form request target ("/path?query"), or undefined when
 * the target is anything else or its path or query cannot be percent-decoded
 * (URLSearchParams would quietly turn "%E0" into U+FFFD: a changed value).
 *
 * `new URL(target, base)` throws on "//[" (it reads "[" as a host) and
 * `decodeURIComponent` throws on "%E0"; either, thrown in a request listener,
 * ends the process. A path that passes here decodes whole, so each of its
 * segments decodes too.
 */
export function parseRequestTarget(target: string | undefined): URL | undefined {
  if (!target?.startsWith('/')) return undefined;
  try {
    // Behind an origin, "//evil.example/x" stays a path instead of becoming an authority.
    const url = new URL(`http://localhost${target}`);
    decodeURIComponent(url.pathname);
    decodeURIComponent(url.search);
    return url;
  } catch {
    return undefined;
  }
}

/**
 * Whether a Host header names a host (and port) and nothing else. Handlers
 * that build a URL from it (Better Auth's, tRPC's) throw on "[::1" or "a b";
 * RFC 9112 says to answer an invalid Host with 400.
 */
export function isValidHost(host: string | undefined): boolean {
  // HTTP/1.0 may omit it; Node itself refuses HTTP/1.1 requests without one.
  if (host === undefined) return true;
  if (host === '' || /[\s/?#@\\]/.test(host)) return false;
  try {
    return new URL(`http://${host}`).hostname !== '';
  } catch {
    return false;
  }
}

/**
 * The URL of an origin-form request target ("/path?query"), or undefined when
 * the target is anything else or its path cannot be percent-decoded.
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
    return url;
  } catch {
    return undefined;
  }
}

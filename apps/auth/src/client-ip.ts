import type { IncomingMessage } from 'node:http';
import { getIPFromHeader, normalizeIP } from '@better-auth/core/utils/ip';

/**
 * The header Better Auth reads the client's address from (its rate limits and
 * session records). The server sets it on every request, replacing whatever a
 * client sent, so nobody can choose their own rate-limit bucket.
 */
export const CLIENT_IP_HEADER = 'x-taskflow-client-ip';

/**
 * The address of the client behind this request: the socket's peer, unless
 * that peer is a trusted proxy, in which case the right-most X-Forwarded-For
 * entry that is not itself a trusted proxy. The left of the header is
 * whatever the client wrote, so it is never believed on its own.
 */
export function clientIp(req: IncomingMessage, trustedProxies: readonly string[]): string {
  const socketAddress = req.socket.remoteAddress ?? '0.0.0.0';
  // Normalized as Better Auth does (IPv6 to its /64), so one host cannot rotate through its subnet.
  const peer = normalizeIP(socketAddress);
  if (trustedProxies.length === 0 || !isTrusted(socketAddress, trustedProxies)) return peer;
  const forwarded = req.headers['x-forwarded-for'];
  const chain = Array.isArray(forwarded) ? forwarded.join(',') : forwarded;
  if (!chain) return peer;
  return getIPFromHeader(chain, { trustedProxies: [...trustedProxies] }) ?? peer;
}

function isTrusted(ip: string, trustedProxies: readonly string[]): boolean {
  // A one-hop chain made of the peer alone resolves to null exactly when the peer is trusted.
  return getIPFromHeader(ip, { trustedProxies: [...trustedProxies] }) === null;
}

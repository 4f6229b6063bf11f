import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Where webhooks may not go: an endpoint URL is whatever a project owner typed, and
 * the API's network position (loopback services, the cloud's metadata endpoint, the
 * private network) must not be reachable through it.
 */
const BLOCKED = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata (169.254.169.254)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  BLOCKED.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 96], // unspecified, loopback, and IPv4-compatible (::127.0.0.1), which embeds an IPv4 address
  ['::ffff:0:0', 96], // IPv4-mapped: would reach any IPv4 address, private ones included
  ['::ffff:0:0:0', 96], // IPv4-translated (SIIT), which embeds an IPv4 address too
  ['64:ff9b::', 96], // NAT64
  ['64:ff9b:1::', 48], // NAT64 for local use
  ['100::', 64], // discard
  ['2001::', 32], // Teredo, which embeds an IPv4 address
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4, which embeds an IPv4 address
  ['fc00::', 7], // unique local (AWS metadata fd00:ec2::254)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local
  ['ff00::', 8], // multicast
] as const)
  BLOCKED.addSubnet(network, prefix, 'ipv6');

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** The URL may not be called: not http(s), unresolvable, or a private address. */
export class WebhookTargetRefused extends Error {
  override name = 'WebhookTargetRefused';
}

export function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  return BLOCKED.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The addresses to connect to for `url`, every one checked. The caller connects to
 * these and never resolves the name again, so a DNS answer that changes between the
 * check and the connection (rebinding) cannot reach a private address.
 */
export async function resolveWebhookTarget(
  url: URL,
  allowPrivateNetworks: boolean,
): Promise<ResolvedAddress[]> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new WebhookTargetRefused(`Webhook URLs must be http or https, not ${url.protocol}`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: ResolvedAddress[];
  const literal = isIP(host);
  if (literal) {
    addresses = [{ address: host, family: literal as 4 | 6 }];
  } else {
    try {
      const found = await lookup(host, { all: true, verbatim: true });
      addresses = found.map((a) => ({ address: a.address, family: a.family as 4 | 6 }));
    } catch {
      throw new WebhookTargetRefused(`Webhook host '${host}' cannot be resolved`);
    }
    if (addresses.length === 0)
      throw new WebhookTargetRefused(`Webhook host '${host}' cannot be resolved`);
  }
  if (!allowPrivateNetworks) {
    const blocked = addresses.find((a) => isBlockedAddress(a.address));
    if (blocked)
      throw new WebhookTargetRefused(
        `Webhook URL host '${host}' is a private, loopback, link-local or otherwise internal address (${blocked.address}): refused (the server allows these only with WEBHOOK_ALLOW_PRIVATE_NETWORKS=true)`,
      );
  }
  return addresses;
}

import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Whether a Standard Webhooks `webhook-signature` header (one or more space-separated
 * `v1,<base64>`) holds the HMAC-SHA256 of `${id}.${timestamp}.${body}` keyed with the
 * secret's bytes (the base64 after `whsec_`).
 */
export function signatureVerifies(
  secret: string,
  id: string,
  timestamp: string,
  body: string,
  header: string,
): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  return header.split(' ').some((part) => {
    const [version, value] = part.split(',', 2);
    if (version !== 'v1' || !value) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

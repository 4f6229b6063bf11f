import { createHmac, randomBytes } from 'node:crypto';

const PREFIX = 'whsec_';

/** A new signing secret: whsec_ and 32 random bytes in base64 (Standard Webhooks' form). */
export function newWebhookSecret(): string {
  return `${PREFIX}${randomBytes(32).toString('base64')}`;
}

/** `v1,<base64 HMAC-SHA256>` of `${id}.${timestamp}.${body}`, keyed with the secret's bytes. */
export function signatureOf(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(
    secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret,
    'base64',
  );
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** The webhook-signature header: one `v1,...` per secret that signs, space-separated. */
export function signatureHeader(
  secrets: readonly string[],
  id: string,
  timestamp: number,
  body: string,
): string {
  return secrets.map((secret) => signatureOf(secret, id, timestamp, body)).join(' ');
}

/** The webhook-id of one message: stable across its retries, unique per event and endpoint. */
export function messageIdOf(auditId: number, subscriptionId: number): string {
  return `msg_${auditId}_${subscriptionId}`;
}

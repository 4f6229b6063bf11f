import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

export const BENCH_ISSUER = 'taskflow-bench';
export const BENCH_AUDIENCE = 'taskflow-api';

/** A JWKS on loopback and the key behind it: real signed tokens for the API under test. */
export interface BenchIssuer {
  jwksUrl: string;
  token(sub: string, claims?: { name?: string; email?: string; agent?: boolean }): Promise<string>;
  stop(): Promise<void>;
}

export async function startIssuer(port = 0): Promise<BenchIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'bench-1', alg: 'EdDSA', use: 'sig' };
  const body = JSON.stringify({ keys: [jwk] });
  const server: Server = createServer((req, res) => {
    if (req.url === '/jwks.json')
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    jwksUrl: `http://127.0.0.1:${bound}/jwks.json`,
    token: (sub, claims = {}) =>
      new SignJWT({
        ...(claims.name && { name: claims.name }),
        ...(claims.email && { email: claims.email }),
        ...(claims.agent && { worker_type: 'agent' }),
        role: 'user',
      })
        .setProtectedHeader({ alg: 'EdDSA', kid: 'bench-1' })
        .setSubject(sub)
        .setIssuer(BENCH_ISSUER)
        .setAudience(BENCH_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime('2h')
        .sign(privateKey),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The `sub` of a token, unverified: whose data --seed should make visible to it. */
export function subjectOf(token: string): string {
  const payload = token.split('.')[1];
  if (!payload) throw new Error('--token is not a JWT');
  const { sub } = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { sub?: unknown };
  if (typeof sub !== 'string') throw new Error('--token carries no sub');
  return sub;
}

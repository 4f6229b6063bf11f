import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

export type Alg = 'EdDSA' | 'RS256' | 'ES256';

interface KeyEntry {
  kid: string;
  alg: Alg;
  privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  publicJwk: JWK;
}

export interface SignOptions {
  alg?: Alg;
  /** Seconds from now; negative for an expired token. Omit `exp` with null. */
  expiresIn?: number | null;
  /** `iat` in seconds from now (negative: issued in the past); omit `iat` with null. Default: now. */
  issuedAt?: number | null;
  issuer?: string;
  audience?: string;
  /** Sign with a key the JWKS does not publish. */
  foreign?: boolean;
  kid?: string;
}

/** A real JWKS endpoint on loopback, with real key pairs, for real signed tokens. */
export class TestIssuer {
  readonly issuer = 'https://issuer.test';
  readonly audience = 'taskflow-api';
  private keys: KeyEntry[] = [];
  private foreignKeys = new Map<Alg, KeyEntry>();
  private server: Server | undefined;
  url = '';
  /** How many times the key set has been fetched. */
  fetches = 0;
  /** When set, the endpoint answers with this status instead of the keys. */
  failWith: number | undefined;

  private static async makeKey(alg: Alg, kid: string): Promise<KeyEntry> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
    return { kid, alg, privateKey, publicJwk };
  }

  async start(): Promise<this> {
    for (const alg of ['EdDSA', 'RS256', 'ES256'] as const) {
      this.keys.push(await TestIssuer.makeKey(alg, `key-${alg.toLowerCase()}`));
      this.foreignKeys.set(alg, await TestIssuer.makeKey(alg, `key-${alg.toLowerCase()}`));
    }
    this.server = createServer((req, res) => {
      this.fetches++;
      if (this.failWith) {
        res.writeHead(this.failWith).end();
        return;
      }
      if (req.url !== '/jwks') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: this.keys.map((k) => k.publicJwk) }));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/jwks`;
    return this;
  }

  /** What the API's token verifier needs to trust this issuer. */
  verifierOptions(): { jwksUrl: URL; issuer: string; audience: string } {
    return { jwksUrl: new URL(this.url), issuer: this.issuer, audience: this.audience };
  }

  /** Adds a fresh key under a new kid (rotation). */
  async rotate(alg: Alg = 'EdDSA'): Promise<string> {
    const kid = `key-${alg.toLowerCase()}-${Date.now()}`;
    this.keys.unshift(await TestIssuer.makeKey(alg, kid));
    return kid;
  }

  /** Takes a key out of the published set (a compromised or retired key). */
  withdraw(kid: string): void {
    this.keys = this.keys.filter((k) => k.kid !== kid);
  }

  publicKeyOf(alg: Alg): JWK {
    const key = this.keys.find((k) => k.alg === alg);
    if (!key) throw new Error(`no ${alg} key`);
    return key.publicJwk;
  }

  async sign(claims: JWTPayload, options: SignOptions = {}): Promise<string> {
    const alg = options.alg ?? 'EdDSA';
    const key = options.foreign
      ? this.foreignKeys.get(alg)
      : options.kid
        ? this.keys.find((k) => k.kid === options.kid)
        : this.keys.find((k) => k.alg === alg);
    if (!key) throw new Error(`no key for ${alg}`);
    const now = Math.floor(Date.now() / 1000);
    let jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, kid: key.kid })
      .setIssuer(options.issuer ?? this.issuer)
      .setAudience(options.audience ?? this.audience);
    if (options.issuedAt !== null) jwt = jwt.setIssuedAt(now + (options.issuedAt ?? 0));
    if (options.expiresIn !== null) jwt = jwt.setExpirationTime(now + (options.expiresIn ?? 600));
    return jwt.sign(key.privateKey);
  }

  /** A token for a user: `sub` plus optional role and name. */
  token(sub: string, extra: JWTPayload = {}, options: SignOptions = {}): Promise<string> {
    return this.sign({ sub, name: sub, ...extra }, options);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

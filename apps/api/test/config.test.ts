import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config';

describe('configuration', () => {
  it('needs a key set to verify tokens against', () => {
    expect(() => loadConfig({})).toThrow(/AUTH_JWKS_URL \(or AUTH_SERVER_URL\) is required/);
  });

  it('derives the JWKS URL from AUTH_SERVER_URL, with development defaults', () => {
    const config = loadConfig({ AUTH_SERVER_URL: 'http://localhost:3001/' });
    expect(config.jwksUrl.href).toBe('http://localhost:3001/api/auth/jwks');
    expect(config).toMatchObject({
      port: 8000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      bodyLimitBytes: 1048576,
    });
  });

  it('parses origins and rejects nonsense values with every problem listed', () => {
    expect(
      loadConfig({ AUTH_JWKS_URL: 'http://a/jwks', ALLOWED_ORIGINS: 'http://a:3000/, http://b' })
        .allowedOrigins,
    ).toEqual(['http://a:3000', 'http://b']);
    try {
      loadConfig({ AUTH_JWKS_URL: 'not a url', PORT: 'eighty', LOG_LEVEL: 'loud' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems.map((p) => p.split(':')[0])).toEqual([
        'PORT',
        'AUTH_JWKS_URL',
        'LOG_LEVEL',
      ]);
    }
  });

  it('refuses an insecure production setup rather than guessing', () => {
    try {
      loadConfig({
        NODE_ENV: 'production',
        AUTH_JWKS_URL: 'http://auth.example.com/jwks',
        ALLOWED_ORIGINS: '*',
      });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        'DATABASE_URL is required in production (PGlite is for development)',
        'AUTH_ISSUER is required in production',
        'AUTH_AUDIENCE is required in production',
        'AUTH_JWKS_URL must use https in production',
        'ALLOWED_ORIGINS may not be * in production',
      ]);
    }
    const ok = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://db/taskflow',
      AUTH_JWKS_URL: 'https://auth.example.com/api/auth/jwks',
      AUTH_ISSUER: 'https://auth.example.com',
      AUTH_AUDIENCE: 'taskflow-api',
    });
    expect(ok.host).toBe('0.0.0.0');
  });

  it('limits each principal to RATE_LIMIT_PER_MINUTE calls, 600 by default, 0 for none', () => {
    const jwks = { AUTH_JWKS_URL: 'http://a/jwks' };
    expect(loadConfig(jwks).rateLimitPerMinute).toBe(600);
    // A blank variable is unset, not 0: it must not switch the limit off by accident.
    expect(loadConfig({ ...jwks, RATE_LIMIT_PER_MINUTE: ' ' }).rateLimitPerMinute).toBe(600);
    expect(loadConfig({ ...jwks, RATE_LIMIT_PER_MINUTE: '0' }).rateLimitPerMinute).toBe(0);
    expect(loadConfig({ ...jwks, RATE_LIMIT_PER_MINUTE: '120' }).rateLimitPerMinute).toBe(120);
    for (const bad of ['lots', '1.5', '-1', '1000001']) {
      try {
        loadConfig({ ...jwks, RATE_LIMIT_PER_MINUTE: bad });
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).problems).toHaveLength(1);
        expect((error as ConfigError).problems[0]).toMatch(/^RATE_LIMIT_PER_MINUTE: /);
      }
    }
  });
});

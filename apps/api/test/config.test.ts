import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { authServerOf } from '../src/app';
import { ConfigError, loadConfig, MAX_AUTO_WORKERS } from '../src/config';

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

  it('runs one process per core (at most eight) on PostgreSQL, one on PGlite, or API_WORKERS', () => {
    const base = { AUTH_JWKS_URL: 'http://a/jwks' };
    const pg = { ...base, DATABASE_URL: 'postgres://db/x' };
    expect(loadConfig(pg).workers).toBe(Math.min(availableParallelism(), MAX_AUTO_WORKERS));
    expect(loadConfig({ ...pg, API_WORKERS: 'auto' }).workers).toBe(loadConfig(pg).workers);
    expect(loadConfig({ ...pg, API_WORKERS: '3' }).workers).toBe(3);
    // The embedded database belongs to one process, whatever is asked.
    expect(loadConfig({ ...base, API_WORKERS: '4' }).workers).toBe(1);
    for (const bad of ['0', 'many', '1.5', '300']) {
      expect(() => loadConfig({ ...pg, API_WORKERS: bad })).toThrow(/API_WORKERS/);
    }
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

  it('sweeps expired leases every LEASE_SWEEP_INTERVAL_MS, 5 s by default, 0 for not in this process', () => {
    const jwks = { AUTH_JWKS_URL: 'http://a/jwks' };
    expect(loadConfig(jwks).leaseSweepIntervalMs).toBe(5_000);
    expect(loadConfig({ ...jwks, LEASE_SWEEP_INTERVAL_MS: ' ' }).leaseSweepIntervalMs).toBe(5_000);
    expect(loadConfig({ ...jwks, LEASE_SWEEP_INTERVAL_MS: '0' }).leaseSweepIntervalMs).toBe(0);
    expect(loadConfig({ ...jwks, LEASE_SWEEP_INTERVAL_MS: '250' }).leaseSweepIntervalMs).toBe(250);
    for (const bad of ['often', '-1', '1.5', '3600001']) {
      expect(() => loadConfig({ ...jwks, LEASE_SWEEP_INTERVAL_MS: bad })).toThrow(
        /LEASE_SWEEP_INTERVAL_MS/,
      );
    }
  });

  it('reads the WEBHOOK_* settings, strict about private networks by default', () => {
    const jwks = { AUTH_JWKS_URL: 'http://a/jwks' };
    const defaults = loadConfig(jwks);
    expect(defaults.webhookPollIntervalMs).toBe(1_000);
    expect(defaults.webhooks).toMatchObject({
      allowPrivateNetworks: false,
      timeoutMs: 10_000,
      retryBaseMs: 5_000,
      retryMaxMs: 3_600_000,
      maxAgeMs: 86_400_000,
      disableAfterFailures: 20,
      disableAfterMs: 12 * 3_600_000,
      secretGraceMs: 86_400_000,
    });
    const set = loadConfig({
      ...jwks,
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      WEBHOOK_POLL_INTERVAL_MS: '0',
      WEBHOOK_TIMEOUT: '3s',
      WEBHOOK_RETRY_BASE: '2',
      WEBHOOK_MAX_AGE: '2h',
      WEBHOOK_DISABLE_AFTER_FAILURES: '5',
      WEBHOOK_DISABLE_AFTER: '0',
      WEBHOOK_SECRET_GRACE: '7d',
    });
    expect(set.webhookPollIntervalMs).toBe(0);
    expect(set.webhooks).toMatchObject({
      allowPrivateNetworks: true,
      timeoutMs: 3_000,
      retryBaseMs: 2_000,
      maxAgeMs: 7_200_000,
      disableAfterFailures: 5,
      disableAfterMs: 0,
      secretGraceMs: 7 * 86_400_000,
    });
    for (const [name, bad] of [
      ['WEBHOOK_ALLOW_PRIVATE_NETWORKS', 'yes'],
      ['WEBHOOK_TIMEOUT', '10m'],
      ['WEBHOOK_DISABLE_AFTER_FAILURES', '0'],
      ['WEBHOOK_POLL_INTERVAL_MS', 'often'],
    ] as const) {
      expect(() => loadConfig({ ...jwks, [name]: bad })).toThrow(new RegExp(name));
    }
  });

  it('offers all MCP tools at /mcp by default, the agent loop with TASKFLOW_MCP_TOOLS=core', () => {
    const jwks = { AUTH_JWKS_URL: 'http://a/jwks' };
    expect(loadConfig(jwks).mcpTools).toBe('all');
    expect(loadConfig({ ...jwks, TASKFLOW_MCP_TOOLS: ' ' }).mcpTools).toBe('all');
    expect(loadConfig({ ...jwks, TASKFLOW_MCP_TOOLS: 'core' }).mcpTools).toBe('core');
    expect(() => loadConfig({ ...jwks, TASKFLOW_MCP_TOOLS: 'some' })).toThrow(/TASKFLOW_MCP_TOOLS/);
    // Agent keys are exchanged at AUTH_SERVER_URL, else where the key set is served.
    expect(loadConfig({ AUTH_SERVER_URL: 'http://auth:3001' }).authServerUrl).toBe(
      'http://auth:3001',
    );
    expect(authServerOf(new URL('http://auth:3001/api/auth/jwks'))).toBe('http://auth:3001');
  });
});

describe('token and key set lifetimes', () => {
  const base = { AUTH_JWKS_URL: 'http://localhost:3001/api/auth/jwks' };
  const production = {
    NODE_ENV: 'production',
    DATABASE_URL: 'postgres://db/taskflow',
    AUTH_JWKS_URL: 'https://auth.example.com/api/auth/jwks',
    AUTH_ISSUER: 'https://auth.example.com',
    AUTH_AUDIENCE: 'taskflow-api',
  };
  const problemsOf = (env: NodeJS.ProcessEnv): string[] => {
    try {
      loadConfig(env);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return [];
  };

  it('defaults: keys refreshed every 10 minutes, the last good set used for 24 h of outage, tokens at most 24 h old', () => {
    expect(loadConfig(base)).toMatchObject({
      jwksMaxAgeMs: 600_000,
      jwksStaleIfErrorMs: 86_400_000,
      maxTokenAgeSec: 86_400,
    });
  });

  it('reads seconds, or AUTH_MAX_TOKEN_AGE as a duration with a unit', () => {
    const config = loadConfig({
      ...base,
      AUTH_JWKS_MAX_AGE_SECONDS: '60',
      AUTH_JWKS_STALE_IF_ERROR_SECONDS: '7200',
      AUTH_MAX_TOKEN_AGE: '12h',
    });
    expect(config).toMatchObject({
      jwksMaxAgeMs: 60_000,
      jwksStaleIfErrorMs: 7_200_000,
      maxTokenAgeSec: 43_200,
    });
    expect(loadConfig({ ...base, AUTH_MAX_TOKEN_AGE: '900' }).maxTokenAgeSec).toBe(900);
    expect(loadConfig({ ...base, AUTH_MAX_TOKEN_AGE: '15m' }).maxTokenAgeSec).toBe(900);
  });

  it('rejects nonsense values, each by name', () => {
    expect(
      problemsOf({
        ...base,
        AUTH_JWKS_MAX_AGE_SECONDS: '0',
        AUTH_JWKS_STALE_IF_ERROR_SECONDS: '-1',
        AUTH_MAX_TOKEN_AGE: 'forever',
      }).map((p) => p.split(':')[0]),
    ).toEqual([
      'AUTH_JWKS_MAX_AGE_SECONDS',
      'AUTH_JWKS_STALE_IF_ERROR_SECONDS',
      'AUTH_MAX_TOKEN_AGE',
    ]);
    expect(problemsOf({ ...base, AUTH_MAX_TOKEN_AGE: '0' })).toEqual([
      'AUTH_MAX_TOKEN_AGE: must be more than 0',
    ]);
  });

  it('refuses lifetimes in production that would keep a withdrawn key or a leaked token working for long', () => {
    expect(problemsOf(production)).toEqual([]);
    expect(
      problemsOf({
        ...production,
        AUTH_JWKS_MAX_AGE_SECONDS: String(2 * 86_400),
        AUTH_JWKS_STALE_IF_ERROR_SECONDS: String(8 * 86_400),
        AUTH_MAX_TOKEN_AGE: '30d',
      }),
    ).toEqual([
      'AUTH_JWKS_MAX_AGE_SECONDS may not exceed 86400 in production: a key the issuer withdrew would stay trusted that long',
      'AUTH_JWKS_STALE_IF_ERROR_SECONDS may not exceed 604800 in production',
      'AUTH_MAX_TOKEN_AGE may not exceed 7d in production: a leaked token would work that long',
    ]);
    // The same values are allowed outside production.
    expect(
      problemsOf({
        ...base,
        AUTH_JWKS_MAX_AGE_SECONDS: String(2 * 86_400),
        AUTH_MAX_TOKEN_AGE: '30d',
      }),
    ).toEqual([]);
  });
});

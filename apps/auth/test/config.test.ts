import { describe, expect, it } from 'vitest';
import { AuthConfigError, loadAuthConfig } from '../src/config';

describe('auth configuration', () => {
  it('runs on defaults in development', () => {
    const config = loadAuthConfig({
      AUTH_PGLITE_DATA_DIR: 'memory://',
      BETTER_AUTH_SECRET: 'x'.repeat(32),
    });
    expect(config).toMatchObject({
      port: 3001,
      baseUrl: 'http://localhost:3001',
      audience: 'taskflow-api',
      adminEmails: [],
    });
    expect(config.trustedOrigins).toContain('http://localhost:3000');
  });

  it('names admins by configuration', () => {
    expect(
      loadAuthConfig({
        ADMIN_EMAILS: 'Boss@Example.com, ops@example.com',
        BETTER_AUTH_SECRET: 'x'.repeat(32),
      }).adminEmails,
    ).toEqual(['boss@example.com', 'ops@example.com']);
  });

  it('stops in production without secrets and URLs, with every problem named', () => {
    try {
      loadAuthConfig({ NODE_ENV: 'production', BETTER_AUTH_URL: 'http://auth.example.com' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AuthConfigError);
      expect((error as AuthConfigError).problems).toEqual([
        'BETTER_AUTH_SECRET (32+ characters) is required in production',
        'BETTER_AUTH_URL must use https in production',
        'DATABASE_URL is required in production (PGlite is for development)',
        'TRUSTED_ORIGINS (the web app origins) is required in production',
      ]);
    }
  });

  it('trusts forwarded headers from no proxy unless told, and limits sign-ins by default', () => {
    const config = loadAuthConfig({ BETTER_AUTH_SECRET: 'x'.repeat(32) });
    expect(config.trustedProxies).toEqual([]);
    expect(config.signInLimit).toEqual({ max: 10, windowSec: 60 });
    expect(config.requestLimit).toEqual({ max: 100, windowSec: 10 });
    expect(
      loadAuthConfig({
        BETTER_AUTH_SECRET: 'x'.repeat(32),
        TRUSTED_PROXIES: '10.0.0.5, 172.16.0.0/12,::1',
        AUTH_SIGN_IN_LIMIT: '5',
        AUTH_SIGN_IN_WINDOW_SECONDS: '300',
        AUTH_REQUEST_LIMIT: '1000',
        AUTH_REQUEST_WINDOW_SECONDS: '60',
      }),
    ).toMatchObject({
      trustedProxies: ['10.0.0.5', '172.16.0.0/12', '::1'],
      signInLimit: { max: 5, windowSec: 300 },
      requestLimit: { max: 1000, windowSec: 60 },
    });
  });

  it('refuses a TRUSTED_PROXIES entry that is not an address or range', () => {
    expect(() =>
      loadAuthConfig({
        BETTER_AUTH_SECRET: 'x'.repeat(32),
        TRUSTED_PROXIES: '10.0.0.5, proxy.local',
      }),
    ).toThrow('TRUSTED_PROXIES: not an IP address or CIDR range: proxy.local');
  });
});

describe('logging and metrics settings (shared by every service)', () => {
  const secret = { BETTER_AUTH_SECRET: 'x'.repeat(32) };
  const production = {
    NODE_ENV: 'production',
    BETTER_AUTH_SECRET: 'x'.repeat(32),
    BETTER_AUTH_URL: 'https://auth.example.com',
    DATABASE_URL: 'postgres://db/taskflow',
    TRUSTED_ORIGINS: 'https://taskflow.example.com',
  };

  it('logs at info and serves /metrics on the service port outside production, or on a port of its own', () => {
    expect(loadAuthConfig(secret).service).toMatchObject({
      logLevel: 'info',
      metrics: { mode: 'same-port', token: undefined },
    });
    expect(
      loadAuthConfig({ ...secret, LOG_LEVEL: 'warn', METRICS_PORT: '9464' }).service,
    ).toMatchObject({
      logLevel: 'warn',
      metrics: { mode: 'own-port', port: 9464, host: '127.0.0.1' },
    });
  });

  it('keeps /metrics off in production unless asked for, and then only behind a token or port', () => {
    expect(loadAuthConfig(production).service.metrics).toEqual({ mode: 'off' });
    expect(() => loadAuthConfig({ ...production, METRICS: 'on' })).toThrow(
      'METRICS=on in production needs METRICS_TOKEN or METRICS_PORT',
    );
    expect(
      loadAuthConfig({ ...production, METRICS: 'on', METRICS_TOKEN: 't'.repeat(16) }).service
        .metrics,
    ).toEqual({ mode: 'same-port', token: 't'.repeat(16) });
  });

  it('refuses a log level or metrics token it does not know, with exit code 78', () => {
    try {
      loadAuthConfig({ ...secret, LOG_LEVEL: 'loud', METRICS_TOKEN: 'short' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AuthConfigError);
      expect((error as AuthConfigError).exitCode).toBe(78);
      expect((error as AuthConfigError).problems).toEqual([
        'LOG_LEVEL: must be one of trace, debug, info, warn, error, fatal, silent',
        'METRICS_TOKEN: must be at least 16 characters',
      ]);
    }
  });
});

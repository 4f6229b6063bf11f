import { describe, expect, it } from 'vitest';
import { ConfigError, parseEnv, ServiceEnvSchema, serviceSettings } from '../src/index';

function settings(env: Record<string, string>) {
  const problems: string[] = [];
  const result = serviceSettings(parseEnv(ServiceEnvSchema, env), problems);
  return { ...result, problems };
}

describe('serviceSettings: where /metrics is served', () => {
  it('serves it openly in development and not at all in production unless told how', () => {
    expect(settings({ NODE_ENV: 'development' }).metrics).toEqual({
      mode: 'same-port',
      token: undefined,
    });
    expect(settings({ NODE_ENV: 'production' }).metrics).toEqual({ mode: 'off' });
  });

  it('turns it on in production when a token or a port is given, unless METRICS=off', () => {
    const token = 'a-token-of-sixteen-chars';
    expect(settings({ NODE_ENV: 'production', METRICS_TOKEN: token }).metrics).toEqual({
      mode: 'same-port',
      token,
    });
    expect(settings({ NODE_ENV: 'production', METRICS_PORT: '9464' }).metrics).toEqual({
      mode: 'own-port',
      port: 9464,
      host: '127.0.0.1',
      token: undefined,
    });
    expect(
      settings({ NODE_ENV: 'production', METRICS_PORT: '9464', METRICS: 'off' }).metrics,
    ).toEqual({ mode: 'off' });
  });

  it('refuses METRICS=on in production with neither, and a short token anywhere', () => {
    expect(settings({ NODE_ENV: 'production', METRICS: 'on' }).problems).toEqual([
      'METRICS=on in production needs METRICS_TOKEN or METRICS_PORT',
    ]);
    expect(() => parseEnv(ServiceEnvSchema, { METRICS_TOKEN: 'short' })).toThrow(ConfigError);
  });
});

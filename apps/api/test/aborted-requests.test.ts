import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { createTestDatabase, type TestDatabase } from '@taskflow/db/testing';
import { createLogger } from '@taskflow/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../src/app';
import { TestIssuer } from './helpers/jwks';

/** Sends the start of a request whose body never completes, then hangs up. */
function abandon(port: number, path: string, token: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
          'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"ti',
      );
      setTimeout(() => socket.destroy(), 200);
    });
    socket.on('close', () => resolve());
    socket.on('error', () => resolve());
  });
}

describe('clients that hang up mid-body', () => {
  let database: TestDatabase;
  let issuer: TestIssuer;
  let app: App;
  let port: number;
  const logged: { level: string; msg: string }[] = [];
  // The real logger, writing its JSON lines here instead of stderr.
  const logger = createLogger({
    service: 'api',
    level: 'debug',
    destination: new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) logged.push(JSON.parse(line));
        done();
      },
    }),
  });

  beforeAll(async () => {
    database = await createTestDatabase();
    issuer = await new TestIssuer().start();
    app = createApp({
      db: database.db,
      logger,
      auth: { jwksUrl: new URL(issuer.url), issuer: issuer.issuer, audience: issuer.audience },
    });
    port = Number(new URL(await app.listen(0)).port);
  });
  afterAll(async () => {
    await app.close();
    await issuer.stop();
    await database.drop();
  });

  it('are not server errors: nothing is logged as one, nothing is written, and it serves on', async () => {
    const token = await issuer.token('hang-up');
    for (let i = 0; i < 5; i++) {
      await abandon(port, '/api/tasks', token);
      await abandon(port, '/trpc/tasks.create', token);
      await abandon(port, '/api/tasks/1/progress', token);
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(logged.filter((l) => l.level === 'error')).toEqual([]);
    expect(await database.db.selectFrom('tasks').select('id').execute()).toEqual([]);
    const res = await fetch(`http://127.0.0.1:${port}/api/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{"title":"Complete"}',
    });
    expect(res.status).toBe(201);
  });
});

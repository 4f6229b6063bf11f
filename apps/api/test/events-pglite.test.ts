import type { ChangeEvent } from '@taskflow/contracts';
import { createDb, type Database, migrateToLatest, sql } from '@taskflow/db';
import { createLogger } from '@taskflow/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../src/app';
import { TestIssuer } from './helpers/jwks';
import { restClient } from './helpers/rest';
import { openEventStream } from './helpers/sse';

/**
 * `pnpm start`'s embedded default: on PGlite the feed's wake-up is PGlite's own
 * in-process NOTIFY. The fallback timer is set far beyond the test, so only the
 * wake-up can deliver these events.
 */
describe('the change feed on embedded PGlite', () => {
  let database: Database;
  let issuer: TestIssuer;
  let app: App;
  let baseUrl: string;
  let token: string;

  beforeAll(async () => {
    database = createDb({ dataDir: 'memory://' });
    await migrateToLatest(database.db);
    issuer = await new TestIssuer().start();
    app = createApp({
      db: database.db,
      logger: createLogger({ service: 'api', level: 'silent' }),
      auth: issuer.verifierOptions(),
      rateLimit: { perMinute: 0 },
      changes: { listen: database.listen, fallbackPollMs: 600_000 },
    });
    baseUrl = await app.listen(0);
    token = await issuer.token('ann');
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await issuer?.stop();
    await database?.close();
  });

  it('streams changes made through the API and by any other writer', async () => {
    const s = await openEventStream(`${baseUrl}/api/events`, { authorization: `Bearer ${token}` });
    expect(s.status).toBe(200);
    const made = await restClient(baseUrl)<{ id: number; project_slug: string }>(
      'POST',
      '/api/tasks',
      { token, body: { title: 'Embedded live' } },
    );
    expect(made.status).toBe(201);
    // The caller's default project is made on first use, then the task.
    const first = (await s.waitForEvents(2)).map((e) => JSON.parse(e.data) as ChangeEvent);
    expect(first.map((e) => e.action)).toEqual(['project_created', 'created']);
    expect(first[1]).toMatchObject({ task: { id: made.body.id, title: 'Embedded live' } });
    await sql`insert into audit_log (project_slug, actor_id, actor_type, action, context)
      values (${made.body.project_slug}, 'system', 'system', 'released', '{}')`.execute(
      database.db,
    );
    const [, , released] = await s.waitForEvents(3);
    expect((JSON.parse(released?.data ?? '') as ChangeEvent).action).toBe('released');
    s.close();
  });
});

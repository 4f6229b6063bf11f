// Webhook deliveries per second: a backlog of MESSAGES queued through writeAudit (as
// every change queues them), drained by DISPATCHERS dispatch loops (as many API
// processes would run) into a loopback endpoint that answers 204 at once. Each message
// is signed, POSTed on a fresh connection and logged, as in production.
//
//   pnpm --filter @taskflow/api exec tsx bench/webhook-deliveries.ts
//   MESSAGES=4000 DISPATCHERS=2 BATCH=50 SUBSCRIPTIONS=2 pnpm --filter @taskflow/api exec tsx bench/webhook-deliveries.ts
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeAudit } from '@taskflow/db';
import { createTestDatabase } from '@taskflow/db/testing';
import { dispatchDueWebhooks, WEBHOOK_DEFAULTS } from '@taskflow/router';

const MESSAGES = Number(process.env.MESSAGES ?? 2000);
const DISPATCHERS = Number(process.env.DISPATCHERS ?? 1);
const BATCH = Number(process.env.BATCH ?? WEBHOOK_DEFAULTS.batchSize);
const SUBSCRIPTIONS = Number(process.env.SUBSCRIPTIONS ?? 1);
// BASELINE=1: audit rows no webhook can take (no project), written without the outbox CTE.
const BASELINE = process.env.BASELINE === '1';

let received = 0;
const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received++;
    res.writeHead(204).end();
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/bench`;

const database = await createTestDatabase({ maxConnections: 20 });
try {
  const { db } = database;
  await db.insertInto('workers').values({ id: 'bench', name: 'Bench', type: 'human' }).execute();
  await db
    .insertInto('projects')
    .values({ slug: 'bench', name: 'Bench', owner_id: 'bench' })
    .execute();
  for (let i = 0; i < SUBSCRIPTIONS; i++) {
    await db
      .insertInto('webhook_subscriptions')
      .values({
        project_slug: 'bench',
        url,
        events: null,
        secret: `whsec_${Buffer.alloc(32, i).toString('base64')}`,
        created_by: 'bench',
      })
      .execute();
  }
  // SUBSCRIPTIONS=0 measures what the outbox costs the audit write of a project with none.
  const changes = SUBSCRIPTIONS ? Math.ceil(MESSAGES / SUBSCRIPTIONS) : MESSAGES;
  const queueStarted = performance.now();
  for (let i = 0; i < changes; i += 500) {
    await db.transaction().execute(async (trx) => {
      for (let j = i; j < Math.min(changes, i + 500); j++)
        await writeAudit(trx, {
          project_slug: BASELINE ? null : 'bench',
          actor_id: 'bench',
          actor_type: 'human',
          action: BASELINE ? 'worker_renamed' : 'project_updated',
          context: { n: j },
        });
    });
  }
  const queueSeconds = (performance.now() - queueStarted) / 1000;
  const total = changes * SUBSCRIPTIONS;

  const settings = { ...WEBHOOK_DEFAULTS, allowPrivateNetworks: true, batchSize: BATCH };
  const started = performance.now();
  await Promise.all(
    Array.from({ length: DISPATCHERS }, async () => {
      for (;;) {
        const report = await dispatchDueWebhooks(db, settings);
        if (report.claimed === 0) break;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const delivered = await db
    .selectFrom('webhook_outbox')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', '=', 'delivered')
    .executeTakeFirstOrThrow();
  console.log(
    JSON.stringify({
      messages: total,
      subscriptions: SUBSCRIPTIONS,
      dispatchers: DISPATCHERS,
      batch: BATCH,
      delivered: Number(delivered.n),
      received,
      seconds: Number(seconds.toFixed(2)),
      deliveries_per_second: Math.round(total / seconds),
      audit_writes_per_second: Math.round(changes / queueSeconds),
    }),
  );
} finally {
  await database.drop();
  receiver.close();
}

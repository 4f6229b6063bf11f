// The change feed under load (not a test): latency from commit to event with many open
// streams, and the event rate it sustains. Real API processes, real PostgreSQL.
//   cd apps/api && pnpm exec tsx bench/feed.ts [streams=100] [events=200] [burst=5000]
import { createTestDatabase } from '@taskflow/db/testing';
import pg from 'pg';
import { TestIssuer } from '../test/helpers/jwks';
import { startApiFor } from '../test/helpers/process';
import { type EventStream, openEventStream } from '../test/helpers/sse';

const STREAMS = Number(process.argv[2] ?? 100);
const EVENTS = Number(process.argv[3] ?? 200);
const BURST = Number(process.argv[4] ?? 5000);

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;

async function main() {
  const issuer = await new TestIssuer().start();
  const database = await createTestDatabase({ migrate: false });
  const { api, url } = await startApiFor(issuer, database.url, {
    LOG_LEVEL: 'warn',
    EVENTS_MAX_STREAMS_PER_PRINCIPAL: String(STREAMS + 10),
  });
  const writer = new pg.Client({ connectionString: database.url });
  const streams: EventStream[] = [];
  try {
    writer.on('error', () => {});
    await writer.connect();
    const token = await issuer.token('bench', { role: 'admin' });
    for (let i = 0; i < STREAMS; i++)
      streams.push(
        await openEventStream(`${url}/api/events`, { authorization: `Bearer ${token}` }),
      );
    // Streams start from now: the caller's own registration came before.
    const base = 0;

    const insert = (n: number) =>
      writer.query(
        `insert into audit_log (project_slug, actor_id, actor_type, action, context)
         values ('bench', 'bench', 'human', 'project_updated', $1)`,
        [JSON.stringify({ n })],
      );

    // Latency: one event at a time, 20 ms apart; from sending the insert to each stream's receipt.
    const sentAt = new Map<number, number>();
    const latencies: number[] = [];
    const seen = streams.map(() => base);
    const collect = () => {
      const now = performance.now();
      streams.forEach((s, i) => {
        for (; (seen[i] ?? 0) < s.events.length; seen[i] = (seen[i] ?? 0) + 1) {
          const n = JSON.parse(s.events[seen[i] ?? 0]?.data ?? '{}').context?.n as number;
          const t = sentAt.get(n);
          if (t !== undefined) latencies.push(now - t);
        }
      });
    };
    const poller = setInterval(collect, 1);
    for (let n = 1; n <= EVENTS; n++) {
      sentAt.set(n, performance.now());
      await insert(n);
      await new Promise((r) => setTimeout(r, 20));
    }
    await Promise.all(streams.map((s) => s.waitForEvents(base + EVENTS, 60_000)));
    collect();
    clearInterval(poller);
    latencies.sort((a, b) => a - b);

    // Throughput: a burst from 8 writers at once; until every stream has every event.
    const start = performance.now();
    const writers = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const c = new pg.Client({ connectionString: database.url });
        await c.connect();
        return c;
      }),
    );
    let next = EVENTS + 1;
    await Promise.all(
      writers.map(async (c) => {
        while (next <= EVENTS + BURST) {
          const n = next++;
          await c.query(
            `insert into audit_log (project_slug, actor_id, actor_type, action, context)
             values ('bench', 'bench', 'human', 'project_updated', $1)`,
            [JSON.stringify({ n })],
          );
        }
      }),
    );
    const written = performance.now();
    await Promise.all(streams.map((s) => s.waitForEvents(base + EVENTS + BURST, 300_000)));
    const delivered = performance.now();
    for (const c of writers) await c.end();

    // Drain rate: one statement of BURST rows (written at once), until every stream has them.
    const flood = performance.now();
    await writer.query(
      `insert into audit_log (project_slug, actor_id, actor_type, action, context)
       select 'bench', 'bench', 'human', 'project_updated', jsonb_build_object('n', g)
       from generate_series($1::int, $2::int) g`,
      [EVENTS + BURST + 1, EVENTS + 2 * BURST],
    );
    const flooded = performance.now();
    await Promise.all(streams.map((s) => s.waitForEvents(base + EVENTS + 2 * BURST, 300_000)));
    const drained = performance.now();
    const drainSeconds = (drained - flooded) / 1000;

    const seconds = (delivered - start) / 1000;
    console.log(
      JSON.stringify(
        {
          streams: STREAMS,
          latency_ms: {
            samples: latencies.length,
            median: Number(percentile(latencies, 50).toFixed(1)),
            p99: Number(percentile(latencies, 99).toFixed(1)),
            max: Number((latencies.at(-1) ?? 0).toFixed(1)),
          },
          burst: {
            events: BURST,
            write_seconds: Number(((written - start) / 1000).toFixed(2)),
            events_per_second_per_stream: Math.round(BURST / seconds),
            deliveries_per_second: Math.round((BURST * STREAMS) / seconds),
          },
          drain: {
            events: BURST,
            insert_seconds: Number(((flooded - flood) / 1000).toFixed(2)),
            events_per_second_per_stream: Math.round(BURST / drainSeconds),
            deliveries_per_second: Math.round((BURST * STREAMS) / drainSeconds),
          },
        },
        null,
        2,
      ),
    );
  } finally {
    for (const s of streams) s.close();
    await writer.end().catch(() => undefined);
    api.child.kill('SIGTERM');
    await api.exited;
    await issuer.stop();
    await database.drop();
  }
}

await main();

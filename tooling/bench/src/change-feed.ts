import type pg from 'pg';
import { auditIdsAfter, deliveryFigures, lastAuditId, settle, tally } from './feed-checks';
import { type OpenStream, openStream } from './sse';
import { writeSteadily } from './writers';
import type { ScenarioResult } from './wrk';

export interface FeedLoad {
  baseUrl: string;
  client: pg.Client;
  /** The main project's owner: sees every event of it. */
  token: string;
  projectSlug: string;
  streams: number;
  writers: number;
  rate: number;
  seconds: number;
}

interface StreamTally {
  received: Map<number, number>;
  ended: boolean;
}

/**
 * change_feed: `streams` open `GET /api/events?project_slug=` streams (all with the owner's
 * token), then writers change tasks for `seconds`. Every stream must get every event of the
 * project after the start (a miss fails the run). Latency: the moment a stream read the event
 * minus its audit row's created_at (the writing transaction's clock, same machine).
 */
export async function runChangeFeed(load: FeedLoad): Promise<ScenarioResult> {
  const start = await lastAuditId(load.client);
  const url = `${load.baseUrl}/api/events?project_slug=${encodeURIComponent(load.projectSlug)}`;
  const tallies: StreamTally[] = [];
  const latencies: number[] = [];
  let lastReceipt = 0;
  const opened: OpenStream[] = [];
  try {
    await Promise.all(
      Array.from({ length: load.streams }, async () => {
        const tally: StreamTally = { received: new Map(), ended: false };
        tallies.push(tally);
        const stream = await openStream(
          url,
          // Resume after the start: events between the answer and the hub's first read count.
          { authorization: `Bearer ${load.token}`, 'last-event-id': String(start) },
          (event, receivedAt) => {
            const id = Number(event.id);
            if (event.event !== 'change' || !(id > start)) return;
            tally.received.set(id, (tally.received.get(id) ?? 0) + 1);
            const { created_at } = JSON.parse(event.data) as { created_at: string };
            latencies.push(receivedAt - Date.parse(created_at));
            lastReceipt = receivedAt;
          },
        );
        opened.push(stream);
        void stream.ended.then(() => {
          tally.ended = true;
        });
      }),
    );
    const writeStart = Date.now();
    const writes = await writeSteadily(load);
    const expected = await auditIdsAfter(load.client, load.projectSlug, start);
    const delivered = () => tallies.reduce((sum, t) => sum + t.received.size, 0);
    await settle(() => delivered() >= expected.length * load.streams, delivered, 10_000, 60_000);

    const results = tallies.map((t) => tally(expected, t.received));
    const missed = results.reduce((sum, r) => sum + r.missing.length, 0);
    const duplicated = results.reduce((sum, r) => sum + r.duplicated.length, 0);
    const endedEarly = tallies.filter((t) => t.ended).length;
    const perStream = tallies.map((t) => t.received.size);
    const deliverySeconds = Math.max(0.001, (lastReceipt - writeStart) / 1000);
    const result: ScenarioResult = {
      name: 'change_feed',
      ...deliveryFigures(latencies, deliverySeconds, writes.failed),
      note: `${load.streams} streams, ${load.writers} writers aiming at ${load.rate}/s: ${expected.length} events written (${(expected.length / writes.seconds).toFixed(1)}/s), per stream ${Math.min(...perStream)}..${Math.max(...perStream)} delivered (${(latencies.length / deliverySeconds).toFixed(0)} deliveries/s, ${(latencies.length / load.streams / deliverySeconds).toFixed(1)} events/s per stream), missed ${missed}, duplicated ${duplicated}, streams ended early ${endedEarly}; latency = receipt - audit created_at (ms); req/s = deliveries/s`,
    };
    if (missed || duplicated || endedEarly) {
      result.failure = `change feed lost events: ${missed} misses, ${duplicated} duplicates over ${load.streams} streams, ${endedEarly} streams ended by the server`;
    }
    return result;
  } finally {
    for (const stream of opened) stream.close();
  }
}

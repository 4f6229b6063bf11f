import type pg from 'pg';
import { percentile } from './http';
import type { ScenarioResult } from './wrk';

/** The highest audit id so far: changes after it are the run's. */
export async function lastAuditId(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ id: string }>(
    'select coalesce(max(id), 0)::text as id from audit_log',
  );
  return Number(rows[0]?.id ?? 0);
}

/** The project's audit ids after `after`: every event a member's stream or a webhook must get. */
export async function auditIdsAfter(
  client: pg.Client,
  projectSlug: string,
  after: number,
): Promise<number[]> {
  const { rows } = await client.query<{ id: string }>(
    'select id::text from audit_log where project_slug = $1 and id > $2 order by id',
    [projectSlug, after],
  );
  return rows.map((r) => Number(r.id));
}

/** What one receiver got against what it should have: ids it lacks, ids it got more than once. */
export function tally(
  expected: number[],
  received: Map<number, number>,
): { missing: number[]; duplicated: number[] } {
  const missing = expected.filter((id) => !received.has(id));
  const duplicated = [...received].filter(([, n]) => n > 1).map(([id]) => id);
  return { missing, duplicated };
}

/** Polls `done` every 100 ms until it holds, or nothing new came for `quietMs`, or `maxMs` passed. */
export async function settle(
  done: () => boolean,
  progress: () => number,
  quietMs: number,
  maxMs: number,
): Promise<void> {
  const started = Date.now();
  let seen = progress();
  let changedAt = started;
  while (!done() && Date.now() - started < maxMs && Date.now() - changedAt < quietMs) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = progress();
    if (now !== seen) {
      seen = now;
      changedAt = Date.now();
    }
  }
}

/**
 * The figures both delivery scenarios report: deliveries per second since the writes began,
 * latency percentiles, and the writes that failed (status 0: no answer at all).
 */
export function deliveryFigures(
  latencies: number[],
  seconds: number,
  failed: Record<number, number>,
): Pick<ScenarioResult, 'rps' | 'p50' | 'p99' | 'non2xx' | 'socketErrors' | 'requests'> {
  const sorted = latencies.slice().sort((a, b) => a - b);
  return {
    rps: sorted.length / seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    non2xx: Object.values(failed).reduce((sum, n) => sum + n, 0),
    socketErrors: failed[0] ?? 0,
    requests: sorted.length,
  };
}

import type { Database } from '@taskflow/db';
import type { ChangeHub, RouterMetrics } from '@taskflow/router';
import { createHttpMetrics, type HttpMetrics } from '@taskflow/service';
import { Counter, Gauge } from 'prom-client';

export interface ApiMetrics extends HttpMetrics {
  /** What the router reports: audit rows committed, CONFLICT refusals. */
  router: RouterMetrics;
  /** What this process's webhook dispatcher did: attempts that succeeded or failed. */
  webhookAttempts(delivered: number, failed: number): void;
}

/**
 * The service's HTTP and process figures plus the API's own: the database pool
 * (read at scrape time, so no request pays for it), audit rows committed and
 * conflicts per procedure (procedure names are a fixed set: bounded labels).
 */
export function createApiMetrics(pool: Database['pool'], changes?: ChangeHub): ApiMetrics {
  const http = createHttpMetrics('api');
  const registers = [http.registry];
  if (changes) {
    new Gauge({
      name: 'change_feed_streams',
      help: 'Change-feed streams open in this process (REST and tRPC)',
      registers,
      collect() {
        this.set(changes.openStreams);
      },
    });
    new Gauge({
      name: 'change_feed_settled_id',
      help: 'The last audit id this process has settled: every id up to it is delivered or known never to appear',
      registers,
      collect() {
        this.set(changes.horizon);
      },
    });
  }
  if (pool) {
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    gauge('db_pool_connections', 'Connections the database pool holds', () => pool.totalCount);
    gauge('db_pool_idle_connections', 'Pool connections not in use', () => pool.idleCount);
    gauge(
      'db_pool_waiting_requests',
      'Queries waiting for a pool connection',
      () => pool.waitingCount,
    );
  }
  const audit = new Counter({
    name: 'audit_rows_written_total',
    help: 'Audit rows written by transactions that committed',
    registers,
  });
  const conflicts = new Counter({
    name: 'workflow_conflicts_total',
    help: 'Calls refused with CONFLICT (409), by procedure',
    labelNames: ['procedure'],
    registers,
  });
  const webhooks = new Counter({
    name: 'webhook_deliveries_total',
    help: 'Webhook delivery attempts this process made, by outcome (delivered: a 2xx; failed: anything else)',
    labelNames: ['outcome'],
    registers,
  });
  return {
    ...http,
    webhookAttempts: (delivered, failed) => {
      if (delivered > 0) webhooks.inc({ outcome: 'delivered' }, delivered);
      if (failed > 0) webhooks.inc({ outcome: 'failed' }, failed);
    },
    // Arrow functions: the router may hand them on unbound.
    router: {
      conflict: (procedure) => conflicts.inc({ procedure }),
      auditRowsCommitted: (rows) => {
        if (rows > 0) audit.inc(rows);
      },
    },
  };
}

/**
 * What the router reports for a host to count (apps/api turns them into Prometheus
 * counters). The router knows no metrics library; a host may pass nothing.
 */
export interface RouterMetrics {
  /** A call refused with CONFLICT (a workflow move from the wrong status, a stale version, a race). */
  conflict(procedure: string): void;
  /** Audit rows of a transaction that committed. */
  auditRowsCommitted(rows: number): void;
}

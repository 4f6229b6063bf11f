import cluster, { type Worker } from 'node:cluster';
import { type Logger, serveClusterMetrics } from '@taskflow/service';

export interface ClusterOptions {
  workers: number;
  logger: Logger;
  /** How long the workers get to finish after SIGTERM before they are killed. */
  shutdownTimeoutMs: number;
}

/** More replacements than this within RESTART_WINDOW_MS: something is wrong beyond one request. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;
/** Delays before retrying a replacement that failed to start: doubling, at most 30 s. */
const FIRST_RETRY_MS = 500;
const LONGEST_RETRY_MS = 30_000;

/**
 * The primary of API_WORKERS processes sharing one port (node:cluster hands each
 * connection to a worker in turn). The API is stateless: everything shared lives in
 * PostgreSQL (claims, leases, idempotency keys, the rate limit's counts, the audit
 * log) and the processes hear each other through LISTEN/NOTIFY, as separate hosts do.
 *
 * A worker that dies once it served is replaced. At start, a worker that fails before it
 * listens (a refused configuration, an unreachable database) stops the cluster with its
 * exit code, so a supervisor sees the same failure as with one process. Once the cluster
 * has served, a replacement that cannot start (the database down a while) is retried with
 * a growing delay while the others go on serving. SIGTERM or SIGINT passes to every
 * worker; the primary leaves when they all have stopped.
 */
export function runPrimary({ workers, logger, shutdownTimeoutMs }: ClusterOptions): void {
  const live = new Set<Worker>();
  const ready = new WeakSet<Worker>();
  const restarts: number[] = [];
  let stopping = false;
  let exitCode = 0;
  let served = false;
  let retryMs = FIRST_RETRY_MS;
  let retry: NodeJS.Timeout | undefined;

  const fork = () => {
    if (stopping) return;
    const worker = cluster.fork();
    live.add(worker);
    worker.once('listening', () => {
      ready.add(worker);
      served = true;
      retryMs = FIRST_RETRY_MS;
    });
  };

  const leaveIfDone = () => {
    if (live.size > 0) return;
    logger.info({ exitCode }, 'cluster stopped');
    logger.flush(() => process.exit(exitCode));
  };

  const stop = (signal: NodeJS.Signals | 'failure') => {
    if (stopping) return;
    stopping = true;
    clearTimeout(retry);
    logger.info({ signal }, 'cluster shutting down');
    for (const worker of live) worker.process.kill('SIGTERM');
    setTimeout(() => {
      logger.warn('cluster shutdown timed out; killing the workers');
      exitCode = 1;
      for (const worker of live) worker.process.kill('SIGKILL');
    }, shutdownTimeoutMs).unref();
    leaveIfDone();
  };

  cluster.on('exit', (worker, code, signal) => {
    live.delete(worker);
    if (stopping) {
      // SIGTERM is what it was sent: a worker still starting ends by it, not by its handler.
      const clean = code === 0 || (code === null && signal === 'SIGTERM');
      if (!clean) exitCode ||= code || 1;
      logger.info({ pid: worker.process.pid, code, signal }, 'API worker stopped');
      leaveIfDone();
      return;
    }
    if (!ready.has(worker)) {
      logger.error({ pid: worker.process.pid, code, signal }, 'API worker failed to start');
      if (!served) {
        exitCode = code || 1;
        stop('failure');
        return;
      }
      const delay = retryMs;
      retryMs = Math.min(retryMs * 2, LONGEST_RETRY_MS);
      logger.warn({ retryInMs: delay }, 'starting another API worker later');
      retry = setTimeout(fork, delay);
      return;
    }
    const now = Date.now();
    while (restarts.length && (restarts[0] ?? 0) < now - RESTART_WINDOW_MS) restarts.shift();
    if (restarts.length >= MAX_RESTARTS) {
      logger.error(
        { pid: worker.process.pid, code, signal, restarts: restarts.length },
        'API workers keep dying; stopping',
      );
      exitCode = 1;
      stop('failure');
      return;
    }
    restarts.push(now);
    logger.warn({ pid: worker.process.pid, code, signal }, 'API worker died; starting another');
    fork();
  });

  // A worker's /metrics answers for the whole cluster.
  serveClusterMetrics();
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  logger.info({ workers }, 'starting API workers');
  for (let i = 0; i < workers; i++) fork();
}

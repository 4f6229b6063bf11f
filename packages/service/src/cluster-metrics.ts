import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { AggregatorRegistry, type Registry } from 'prom-client';

const ASK = 'taskflow:cluster-metrics?';
const ANSWER = 'taskflow:cluster-metrics!';
const TIMEOUT_MS = 5_000;

interface Answer {
  type: typeof ANSWER;
  id: string;
  text?: string;
  error?: string;
}

function isAnswer(message: unknown): message is Answer {
  return (message as { type?: unknown } | null)?.type === ANSWER;
}

/**
 * In a cluster's primary: answers a worker's /metrics with every worker's figures,
 * summed (prom-client asks each worker for its registry). Without it, each scrape
 * would read whichever worker took the connection: counters that jump back and forth.
 */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: { type?: unknown; id?: unknown }) => {
    if (message?.type !== ASK || typeof message.id !== 'string') return;
    const id = message.id;
    // The asker may have died while the others were asked (up to prom-client's 5 s when
    // one is starting or stuck): a send on its closed channel would be an unhandled
    // 'error' on the Worker, which ends the primary and with it the whole cluster.
    const answer = (reply: Answer) => {
      if (worker.isConnected()) worker.send(reply, undefined, () => undefined);
    };
    aggregator.clusterMetrics().then(
      (text) => answer({ type: ANSWER, id, text }),
      (error: unknown) => answer({ type: ANSWER, id, error: String(error) }),
    );
  });
}

/**
 * What /metrics serves: the registry itself in a process of its own; in a cluster's
 * worker, the whole cluster's figures from the primary (its own registry answers the
 * primary's collection).
 */
export function metricsReader(registry: Registry): () => Promise<string> {
  if (!cluster.isWorker) return () => registry.metrics();
  AggregatorRegistry.setRegistries([registry]);
  // Constructing one makes this worker answer the primary's requests for its figures.
  new AggregatorRegistry();
  const waiting = new Map<string, (answer: Answer) => void>();
  process.on('message', (message: unknown) => {
    if (isAnswer(message)) waiting.get(message.id)?.(message);
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = randomUUID();
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error('the cluster primary did not answer for the metrics'));
      }, TIMEOUT_MS);
      waiting.set(id, (answer) => {
        clearTimeout(timer);
        waiting.delete(id);
        if (answer.text !== undefined) resolve(answer.text);
        else reject(new Error(answer.error ?? 'no metrics from the cluster primary'));
      });
      process.send?.({ type: ASK, id });
    });
}

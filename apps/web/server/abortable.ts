import { HttpError } from '@taskflow/http-guard';
import { Agent, type Dispatcher } from 'undici';

/** Carries a ticket from the request's headers to the dispatcher; never leaves this process. */
const TICKET_HEADER = 'x-taskflow-proxy-ticket';

type Callback<T> = (err: Error | null, data: Dispatcher.ResponseData<T>) => void;

/** Why a request was aborted when its client hung up: nobody is left to tell. */
class ClientClosed extends Error {}

/** What a client still waiting for an upstream's headers is told when this server stops. */
const STOPPING = () =>
  new HttpError(503, 'SERVICE_UNAVAILABLE', 'TaskFlow is restarting; try again shortly');

/**
 * The upstream connection pool for @fastify/reply-from, which gives undici no abort signal:
 * a client that hangs up would leave its request running upstream until that answers.
 * Each request gets a signal that fires when the client's response closes before it
 * finished, handed over through a private header that is removed before sending.
 */
export class AbortableDispatcher {
  private readonly agent: Agent;
  private readonly controllers = new Map<string, AbortController>();
  /** Requests sent upstream whose headers have not arrived yet. */
  private readonly waiting = new Set<AbortController>();
  private next = 0;

  /**
   * `timeoutMs` bounds the wait for an upstream's headers, and each silence within its body
   * (undici's default is 300 s): an upstream that accepts the connection and never answers
   * gets a 504, not a request held until the client or a shutdown cuts it.
   */
  constructor(private readonly timeoutMs: number) {
    this.agent = new Agent({
      keepAliveTimeout: 4_000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  }

  /** The header that ties one upstream request to its client's response. */
  track(clientResponse: {
    writableFinished: boolean;
    once(event: 'close', fn: () => void): unknown;
  }): Record<string, string> {
    const ticket = String(++this.next);
    const controller = new AbortController();
    this.controllers.set(ticket, controller);
    clientResponse.once('close', () => {
      this.controllers.delete(ticket);
      if (!clientResponse.writableFinished)
        controller.abort(new ClientClosed('client closed the request'));
    });
    return { [TICKET_HEADER]: ticket };
  }

  request<T = null>(options: Dispatcher.RequestOptions<T>, callback: Callback<T>): void;
  request<T = null>(options: Dispatcher.RequestOptions<T>): Promise<Dispatcher.ResponseData<T>>;
  request<T = null>(
    options: Dispatcher.RequestOptions<T>,
    callback?: Callback<T>,
  ): Promise<Dispatcher.ResponseData<T>> | undefined {
    // reply-from passes headers as a plain object.
    const headers = { ...(options.headers as Record<string, string | string[] | undefined>) };
    const ticket = headers[TICKET_HEADER];
    delete headers[TICKET_HEADER];
    const controller = typeof ticket === 'string' ? this.controllers.get(ticket) : undefined;
    const signal = controller?.signal;
    const withSignal = {
      ...options,
      headers,
      signal,
      headersTimeout: options.headersTimeout ?? this.timeoutMs,
      bodyTimeout: options.bodyTimeout ?? this.timeoutMs,
    };
    if (!callback) return this.agent.request(withSignal);
    if (controller) this.waiting.add(controller);
    this.agent.request(withSignal, (error, data) => {
      if (controller) this.waiting.delete(controller);
      // The client hung up and nobody is left to answer: reply-from would log the abort as a
      // warning with its stack. The access line (499) already tells the story.
      if (error && signal?.reason instanceof ClientClosed) return;
      // Stopping: reply-from passes this on as the cause, which the proxy answers as is.
      if (error && signal?.reason instanceof HttpError) return callback(signal.reason, data);
      callback(error, data);
    });
    return undefined;
  }

  /**
   * When the server stops: requests still waiting for an upstream's headers get `graceMs` to
   * receive them, then a 503 with Retry-After (the client may retry elsewhere) rather than
   * being cut without an answer when the process exits. Answers already streaming finish.
   */
  drain(graceMs: number): void {
    setTimeout(() => {
      for (const controller of this.waiting) controller.abort(STOPPING());
    }, graceMs).unref();
  }

  /** reply-from calls this when the server closes; requests still in flight may finish. */
  destroy(): Promise<void> {
    return this.agent.close();
  }
}

import { Agent, type Dispatcher } from 'undici';

/** Carries a ticket from the request's headers to the dispatcher; never leaves this process. */
const TICKET_HEADER = 'x-taskflow-proxy-ticket';

type Callback<T> = (err: Error | null, data: Dispatcher.ResponseData<T>) => void;

/**
 * The upstream connection pool for @fastify/reply-from, which gives undici no abort signal:
 * a client that hangs up would leave its request running upstream until that answers.
 * Each request gets a signal that fires when the client's response closes before it
 * finished, handed over through a private header that is removed before sending.
 */
export class AbortableDispatcher {
  private readonly agent: Agent;
  private readonly signals = new Map<string, AbortSignal>();
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
    this.signals.set(ticket, controller.signal);
    clientResponse.once('close', () => {
      this.signals.delete(ticket);
      if (!clientResponse.writableFinished)
        controller.abort(new Error('client closed the request'));
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
    const signal = typeof ticket === 'string' ? this.signals.get(ticket) : undefined;
    const withSignal = {
      ...options,
      headers,
      signal,
      headersTimeout: options.headersTimeout ?? this.timeoutMs,
      bodyTimeout: options.bodyTimeout ?? this.timeoutMs,
    };
    if (!callback) return this.agent.request(withSignal);
    this.agent.request(withSignal, (error, data) => {
      // The client hung up and nobody is left to answer: reply-from would log the abort as a
      // warning with its stack. The access line (499) already tells the story.
      if (error && signal?.aborted) return;
      callback(error, data);
    });
    return undefined;
  }

  /** reply-from calls this when the server closes; requests still in flight may finish. */
  destroy(): Promise<void> {
    return this.agent.close();
  }
}

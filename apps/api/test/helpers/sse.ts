export interface SseEvent {
  id: string | undefined;
  event: string | undefined;
  data: string;
}

export interface EventStream {
  status: number;
  headers: Headers;
  /** Every event received so far, in order. */
  events: SseEvent[];
  /** Comment lines received so far (`: ping`). */
  comments: string[];
  /** The JSON body of a refusal (status not 200). */
  body: unknown;
  /** Resolves once `count` events have arrived (fails after `timeoutMs`). */
  waitForEvents(count: number, timeoutMs?: number): Promise<SseEvent[]>;
  waitForComment(text: string, timeoutMs?: number): Promise<void>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

/** A plain fetch-based Server-Sent Events reader, as a non-browser client would write one. */
export async function openEventStream(
  url: string,
  headers: Record<string, string> = {},
): Promise<EventStream> {
  const abort = new AbortController();
  const res = await fetch(url, { headers, signal: abort.signal });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let notify = () => {};
  const changed = () => {
    const n = notify;
    notify = () => {};
    n();
  };
  let finished = false;
  let body: unknown;
  let ended: Promise<void> = Promise.resolve();
  if (res.status !== 200 || !res.body) {
    const text = await res.text();
    body = text ? JSON.parse(text) : undefined;
    finished = true;
  } else {
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    ended = (async () => {
      let buffer = '';
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let cut = buffer.indexOf('\n\n');
          while (cut >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const event: SseEvent = { id: undefined, event: undefined, data: '' };
            let hasData = false;
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) comments.push(line.slice(1).trim());
              else if (line.startsWith('id:')) event.id = line.slice(3).trim();
              else if (line.startsWith('event:')) event.event = line.slice(6).trim();
              else if (line.startsWith('data:')) {
                event.data += line.slice(5).trim();
                hasData = true;
              }
            }
            if (hasData) events.push(event);
            cut = buffer.indexOf('\n\n');
          }
          changed();
        }
      } catch {
        // aborted by close()
      } finally {
        finished = true;
        changed();
      }
    })();
  }
  const waitUntil = async (ready: () => boolean, what: string, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
      if (finished) throw new Error(`stream ended before ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        notify = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  };
  return {
    status: res.status,
    headers: res.headers,
    events,
    comments,
    body,
    ended,
    waitForEvents: async (count, timeoutMs = 10_000) => {
      await waitUntil(() => events.length >= count, `${count} events`, timeoutMs);
      return events.slice(0, count);
    },
    waitForComment: (text, timeoutMs = 10_000) =>
      waitUntil(() => comments.includes(text), `comment ${text}`, timeoutMs),
    close: () => abort.abort(),
  };
}

/** One Server-Sent Event: what its `id:`, `event:` and `data:` lines said. */
export interface SseEvent {
  id: string | undefined;
  event: string | undefined;
  data: string;
}

/**
 * An incremental text/event-stream parser: feed it chunks as they arrive, get back the
 * events they completed. Blocks end at a blank line; comments (`: ping`) and `retry:` are
 * dropped; several `data:` lines join with a newline, as the spec says.
 */
export function sseParser(): (chunk: string) => SseEvent[] {
  let buffer = '';
  return (chunk) => {
    buffer += chunk.replaceAll('\r\n', '\n');
    const events: SseEvent[] = [];
    let cut = buffer.indexOf('\n\n');
    while (cut >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event: SseEvent = { id: undefined, event: undefined, data: '' };
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'id') event.id = value;
        else if (field === 'event') event.event = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length) events.push({ ...event, data: data.join('\n') });
      cut = buffer.indexOf('\n\n');
    }
    return events;
  };
}

export interface OpenStream {
  /** Resolves when the server ends the stream or close() aborts it. */
  ended: Promise<void>;
  close(): void;
}

/**
 * GET `url` as an event stream with fetch and a reader (no EventSource in Node), calling
 * `onEvent` with each event and the moment it was read. Rejects unless the answer is 200.
 */
export async function openStream(
  url: string,
  headers: Record<string, string>,
  onEvent: (event: SseEvent, receivedAt: number) => void,
): Promise<OpenStream> {
  const abort = new AbortController();
  const res = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: abort.signal,
  });
  if (res.status !== 200 || !res.body) {
    const text = await res.text().catch(() => '');
    throw new Error(`GET ${url} answered ${res.status}: ${text.slice(0, 200)}`);
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const parse = sseParser();
  const ended = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        const receivedAt = Date.now();
        for (const event of parse(decoder.decode(value, { stream: true })))
          onEvent(event, receivedAt);
      }
    } catch {
      // aborted by close(), or the connection dropped: the caller counts what arrived
    }
  })();
  return { ended, close: () => abort.abort() };
}

import { connect } from 'node:net';

export interface RawCase {
  name: string;
  bytes: Buffer;
  /** 'send': send it and wait for the answer; 'abort': send it and reset, as a client that gives up. */
  mode: 'send' | 'abort';
}

export interface RawAnswer {
  text: string;
  /** Status codes of every response on the connection. */
  statuses: number[];
  /** Neither an answer nor a close came, even after the client stopped sending. */
  hung: boolean;
}

// A client that half-closes counts as gone to Node (httpAllowHalfOpen is off),
// so the request is sent without a FIN, and the FIN only follows when the
// server says nothing (it may be waiting for a body that will never come).
const QUIET_MS = 300;
const WAIT_FOR_ANSWER_MS = 1_500;
const WAIT_AFTER_FIN_MS = 5_000;

/** One connection over node:net: the bytes exactly as given, nothing an HTTP client would fix. */
export function sendRaw(port: number, raw: RawCase): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let hung = false;
    let timer: NodeJS.Timeout | undefined;
    const after = (ms: number, then: () => void) => {
      clearTimeout(timer);
      timer = setTimeout(then, ms);
    };
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      // Answered: give a pipelined second answer a moment, then hang up.
      after(QUIET_MS, () => socket.destroy());
    });
    // A reset is an answer too: the server closed the connection.
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const statuses = [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
      resolve({ text, statuses, hung });
    });
    socket.on('connect', () => {
      if (raw.mode === 'abort') {
        socket.write(raw.bytes, () => setTimeout(() => socket.resetAndDestroy(), 20));
        return;
      }
      socket.write(raw.bytes);
      after(WAIT_FOR_ANSWER_MS, () => {
        socket.end();
        after(WAIT_AFTER_FIN_MS, () => {
          hung = true;
          socket.destroy();
        });
      });
    });
  });
}

/** Runs `work` over `items`, `limit` at a time. */
export async function inBatches<T, R>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

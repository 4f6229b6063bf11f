import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

/** What a LISTEN connection reports. */
export interface NotificationHandlers {
  onNotify(payload: string): void;
  /** The connection is gone (server restart, network, pg_terminate_backend); listen again. */
  onLost(error: Error): void;
}

export interface NotificationListener {
  close(): Promise<void>;
}

/** Starts listening on `channel`; resolves once the LISTEN is in place. */
export type Listen = (
  channel: string,
  handlers: NotificationHandlers,
) => Promise<NotificationListener>;

const CHANNEL = /^[a-z_][a-z0-9_]*$/;

function checkChannel(channel: string): void {
  // LISTEN takes an identifier, not a parameter: only plain names are accepted.
  if (!CHANNEL.test(channel)) throw new Error(`not a plain channel name: ${channel}`);
}

/**
 * A dedicated connection (outside the pool: a pooled one would be handed to queries
 * and lose its LISTEN). One per call; the caller reconnects after onLost.
 */
export function postgresListen(connectionString: string): Listen {
  return async (channel, handlers) => {
    checkChannel(channel);
    const client = new pg.Client({ connectionString, connectionTimeoutMillis: 5_000 });
    let closing = false;
    let lost = false;
    const lose = (error: Error) => {
      if (closing || lost) return;
      lost = true;
      handlers.onLost(error);
      client.end().catch(() => undefined);
    };
    client.on('error', lose);
    client.on('end', () => lose(new Error('LISTEN connection ended')));
    client.on('notification', (message) => handlers.onNotify(message.payload ?? ''));
    try {
      await client.connect();
      await client.query(`listen ${channel}`);
    } catch (error) {
      closing = true;
      await client.end().catch(() => undefined);
      throw error;
    }
    return {
      close: async () => {
        closing = true;
        await client.end().catch(() => undefined);
      },
    };
  };
}

/**
 * PGlite delivers NOTIFY to its own listeners after the notifying transaction
 * commits: the wake-up stays inside the process, as does everything on PGlite.
 */
export function pgliteListen(pglite: PGlite): Listen {
  return async (channel, handlers) => {
    checkChannel(channel);
    const unlisten = await pglite.listen(channel, (payload) => handlers.onNotify(payload));
    return {
      close: async () => {
        if (!pglite.closed) await unlisten();
      },
    };
  };
}

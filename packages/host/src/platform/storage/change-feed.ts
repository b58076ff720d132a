import pg from 'pg';

/** Longest wait between two attempts to reconnect the feed's connection. */
const MAX_RECONNECT_MS = 5_000;
const FIRST_RECONNECT_MS = 100;

/**
 * Changes announced on PostgreSQL channels (`NOTIFY` from a trigger, delivered at commit to every host
 * process that `LISTEN`s), for the host's in-process caches to drop what changed. One dedicated
 * connection per process, opened on the first {@link ChangeFeed.on}, reconnected with backoff.
 *
 * A notification can be missed only while the connection is down; so a cache may trust what it holds
 * without asking the database only while {@link ChangeFeed.live} is true and {@link ChangeFeed.epoch} is
 * the one it cached under (it moves on every connect and disconnect). Caches still re-check on a bound
 * of their own: a safety net, not the mechanism.
 */
export interface ChangeFeed {
  /** True while the connection is up and listening on every channel that has a listener. */
  readonly live: boolean;
  /** Moves each time the feed connects or drops: what a cache held under an older epoch may have missed a change. */
  readonly epoch: number;
  /** Calls `listener` with each payload on `channel`; returns the unsubscribe function. */
  on(channel: string, listener: (payload: string) => void): () => void;
  /**
   * Delivers a change to this process's listeners now. A writer calls it after its commit, so that its
   * own next read sees the change: the commit's notification reaches this process a moment later, on
   * another connection, with no ordering against the writer's reply.
   */
  announce(channel: string, payload: string): void;
  close(): Promise<void>;
}

/** Channel names the feed listens on: unquoted PostgreSQL identifiers. */
const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

/** A {@link ChangeFeed} on the database at `url`. */
export function openChangeFeed(url: string): ChangeFeed {
  const listeners = new Map<string, Set<(payload: string) => void>>();
  let client: pg.Client | undefined;
  let live = false;
  let epoch = 0;
  let closed = false;
  let connecting: Promise<void> | undefined;
  let retryMs = FIRST_RECONNECT_MS;
  let retryTimer: NodeJS.Timeout | undefined;

  const deliver = (channel: string, payload: string) => {
    for (const listener of listeners.get(channel) ?? []) {
      try {
        listener(payload);
      } catch {
        // A cache's listener that throws must not stop the others from hearing the change.
      }
    }
  };

  const drop = (broken: pg.Client) => {
    if (client !== broken) return;
    client = undefined;
    if (live) epoch++;
    live = false;
    broken.removeAllListeners('notification');
    void broken.end().catch(() => undefined);
    scheduleReconnect();
  };

  const scheduleReconnect = () => {
    if (closed || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void connect();
    }, retryMs);
    retryTimer.unref();
    retryMs = Math.min(MAX_RECONNECT_MS, retryMs * 2);
  };

  const connect = (): Promise<void> => {
    connecting ??= (async () => {
      const next = new pg.Client({ connectionString: url, application_name: 'tongkit-host-changes' });
      next.on('error', () => drop(next));
      next.on('end', () => drop(next));
      next.on('notification', (message) => deliver(message.channel, message.payload ?? ''));
      client = next;
      try {
        await next.connect();
        for (const channel of listeners.keys()) await next.query(`LISTEN ${channel}`);
        if (closed || client !== next) return;
        live = true;
        epoch++;
        retryMs = FIRST_RECONNECT_MS;
      } catch {
        drop(next);
      }
    })().finally(() => {
      connecting = undefined;
    });
    return connecting;
  };

  return {
    get live() {
      return live;
    },
    get epoch() {
      return epoch;
    },
    on(channel, listener) {
      if (!CHANNEL.test(channel)) throw new Error(`change feed channel ${JSON.stringify(channel)} is not a plain identifier`);
      let set = listeners.get(channel);
      if (!set) {
        set = new Set();
        listeners.set(channel, set);
        // A channel added while connected: not live for it until LISTEN answers, so reconnect to be sure.
        if (client && live) {
          const current = client;
          live = false;
          epoch++;
          void current.query(`LISTEN ${channel}`).then(
            () => {
              if (client === current && !closed) {
                live = true;
                epoch++;
              }
            },
            () => drop(current),
          );
        }
      }
      set.add(listener);
      if (!client && !closed && !retryTimer) void connect();
      return () => {
        set.delete(listener);
      };
    },
    announce: deliver,
    async close() {
      closed = true;
      live = false;
      epoch++;
      if (retryTimer) clearTimeout(retryTimer);
      await connecting?.catch(() => undefined);
      const current = client;
      client = undefined;
      current?.removeAllListeners();
      current?.on('error', () => undefined);
      await current?.end().catch(() => undefined);
    },
  };
}

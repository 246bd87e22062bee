import postgres from 'postgres';
import type { Logger } from '../lib/logger';

/** The channel migration 0013's triggers notify, with the changed table's name as the payload. */
export const CHANGES_CHANNEL = 'modelregistry_changes';

/** What a cache needs from the feed: whether it can trust it now, and a call on each change of a table. */
export interface ChangeFeed {
  /** True while LISTEN holds on a live connection: only then is every change seen, so only then may a cache serve. */
  readonly live: boolean;
  /** `onChange` runs on every change of `table`, and whenever changes may have been missed (the feed lost and regained). */
  subscribe(table: string, onChange: () => void): void;
  close(): Promise<void>;
}

/**
 * Listens to the database's change notifications on a connection of its own. postgres.js's own
 * `listen` forgets a channel whose re-LISTEN fails after a lost connection; this one keeps trying
 * every `retryMs` and says it is not live meanwhile, and every subscriber is told both when the
 * feed is lost and when it is back, so nothing cached across the gap survives it.
 */
export function listenForChanges(url: string, logger: Logger, opts: { retryMs?: number } = {}): ChangeFeed {
  const retryMs = opts.retryMs ?? 1000;
  const subscribers = new Map<string, Set<() => void>>();
  const tellEveryone = () => {
    for (const set of subscribers.values()) for (const onChange of set) onChange();
  };
  let live = false;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  // postgres.js passes `onnotify` on (its own listen uses it) but does not declare it.
  const options: postgres.Options<Record<string, never>> & { onnotify: (channel: string, payload: string) => void } = {
    max: 1,
    idle_timeout: 0,
    max_lifetime: null,
    fetch_types: false,
    onnotice: () => {},
    onnotify: (channel, table) => {
      if (channel === CHANGES_CHANNEL) subscribers.get(table)?.forEach((onChange) => onChange());
    },
    onclose: () => {
      if (closed) return;
      if (live) logger.warn('database change feed lost: caches bypassed until it is back');
      const wasLive = live;
      live = false;
      tellEveryone();
      // A connection that was listening is re-established at once; one that failed to connect, after a pause.
      schedule(wasLive ? 0 : retryMs);
    },
  };
  const sql = postgres(url, options);

  function schedule(ms: number) {
    clearTimeout(retry);
    if (!closed) retry = setTimeout(() => void start(), ms);
  }

  async function start() {
    try {
      await sql`listen ${sql(CHANGES_CHANNEL)}`;
      if (closed) return;
      live = true;
      // Anything cached before (nothing is, while not live) or changed during the gap is dropped.
      tellEveryone();
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'database change feed: LISTEN failed, retrying');
      schedule(retryMs);
    }
  }
  schedule(0);

  return {
    get live() {
      return live;
    },
    subscribe(table, onChange) {
      let set = subscribers.get(table);
      if (!set) subscribers.set(table, (set = new Set()));
      set.add(onChange);
    },
    async close() {
      closed = true;
      live = false;
      clearTimeout(retry);
      await sql.end({ timeout: 1 });
    },
  };
}

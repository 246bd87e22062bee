import { createHash, timingSafeEqual } from 'node:crypto';
import type { Db } from '../db/client';
import { listWebhookSecrets } from '../db/queries/projects';
import type { Logger } from '../lib/logger';
import type { SecretBox } from '../lib/secrets';

/** The project a webhook delivery comes from, as its Authorization header says. */
export interface Sender {
  id: string;
  name: string;
  registry: string;
}

const digestOf = (s: string) => createHash('sha256').update(s).digest();

/**
 * Which project sent a delivery, by its Authorization header alone: an index from the SHA-256 of
 * the header each live project of the managed registries has its webhook policy send (`Bearer <secret>`; the clear secret is not
 * kept) to the project. Refreshed in the background every `ttlMs`; a header it does not know waits
 * for a reload that starts after it arrived, and reloads start at most once per `minReloadMs`, so
 * a new project is accepted within about a second while bad headers cannot hammer the database.
 */
export function createWebhookSenders(deps: { db: Db; secrets: SecretBox; registries: string[]; logger: Logger; ttlMs?: number; minReloadMs?: number }) {
  const ttlMs = deps.ttlMs ?? 30_000;
  const minReloadMs = deps.minReloadMs ?? 1000;
  let index = new Map<string, Sender & { expected: Buffer }>();
  let lastStart = -Infinity;
  /** A reload that has not started yet: whoever misses now joins it. */
  let pending: Promise<void> | undefined;
  let running: Promise<void> | undefined;

  async function load() {
    const rows = await listWebhookSecrets(deps.db, deps.registries);
    const next = new Map<string, Sender & { expected: Buffer }>();
    const unreadable: string[] = [];
    for (const r of rows) {
      let header: string;
      try {
        header = `Bearer ${deps.secrets.open(r.secret)}`;
      } catch {
        unreadable.push(r.id); // sealed with another key: its deliveries are refused, the others still accepted
        continue;
      }
      const expected = digestOf(header);
      next.set(expected.toString('hex'), { id: r.id, name: r.name, registry: r.registry, expected });
    }
    if (unreadable.length > 0) deps.logger.warn({ projectIds: unreadable.slice(0, 20), count: unreadable.length }, 'webhook secrets that SECRETS_KEY cannot open');
    index = next;
  }

  function reload(): Promise<void> {
    if (pending) return pending;
    const startsAt = Math.max(Date.now(), lastStart + minReloadMs);
    pending = (async () => {
      await running?.catch(() => undefined);
      const wait = startsAt - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      pending = undefined;
      lastStart = Date.now();
      running = load();
      try {
        await running;
      } finally {
        running = undefined;
      }
    })();
    return pending;
  }

  const find = (digest: Buffer) => {
    const hit = index.get(digest.toString('hex'));
    // The map is keyed by a digest, which tells an attacker nothing about the secret; the final comparison is constant-time anyway.
    return hit && timingSafeEqual(digest, hit.expected) ? { id: hit.id, name: hit.name, registry: hit.registry } : undefined;
  };

  return {
    /** The project whose webhook secret `authorization` is, or undefined. */
    async authenticate(authorization: string | undefined): Promise<Sender | undefined> {
      if (!authorization) return undefined;
      const digest = digestOf(authorization);
      if (Date.now() - lastStart > ttlMs) {
        if (lastStart === -Infinity) await reload();
        else void reload().catch(() => undefined); // stale entries are served while it runs; a failed refresh is retried on the next miss
      }
      return find(digest) ?? (await reload().then(() => find(digest)));
    },
  };
}
export type WebhookSenders = ReturnType<typeof createWebhookSenders>;

import type { Readable } from 'node:stream';
import type { Db } from '../db/client';
import { findCacheEntries, findCacheEntry, noteCacheEntryUsed, upsertCacheEntry, type PullTarget, type PullUpstream } from '../db/cache-entries';
import type { FillLease, FillLocks } from '../db/fill-locks';
import { cacheObjectKey } from '../lib/cache-keys';
import type { Logger } from '../lib/logger';
import { blobPath, CACHE_ENTRY_STATUS, ociError } from '../lib/oci-distribution';
import type { ObjectStore } from '../lib/object-store';
import { cacheHeaders, errorResponse, failureOf, notFoundOrFailed, type PullResponse, type UpstreamFailure } from './answers';
import { storedBlobDigests } from './blob-digests';
import { teeVerified } from './blob-tee';
import { UpstreamUnreachable, type UpstreamClient } from './upstream-client';

export interface BlobDeps {
  db: Db;
  store: ObjectStore;
  upstreams: UpstreamClient;
  logger: Pick<Logger, 'warn'>;
  /** Fills coordinated across processes (db/fill-locks.ts); without it, within this process only (PGlite's single connection). */
  fillLocks?: FillLocks;
}

/**
 * A Range header against `size`, as RFC 9110 §14.2 lets an origin answer it: one satisfiable byte
 * range (`bytes=a-b`, `bytes=a-`, `bytes=-n`) is served; `unsatisfiable` (416) when no range of a
 * byte-range set lies in the blob; undefined (the whole blob, 200) for no header, another unit or a
 * malformed one (which a server must or may ignore), and for several ranges (which it may ignore
 * rather than answer multipart).
 */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const m = header === undefined ? null : /^bytes=(.*)$/i.exec(header.trim());
  if (!m) return undefined;
  const ranges: { start: number; end: number }[] = [];
  let satisfiable = 0;
  for (const spec of m[1]!.split(',')) {
    const r = /^\s*(\d*)-(\d*)\s*$/.exec(spec);
    if (!r || (r[1] === '' && r[2] === '') || (r[1] !== '' && r[2] !== '' && Number(r[2]) < Number(r[1]))) return undefined;
    // A suffix of an empty blob is satisfiable (§14.1.3), and is all of it: no bytes, a 200.
    if (size === 0 && r[1] === '' && Number(r[2]) > 0) return undefined;
    // `-0` asks for no bytes: unsatisfiable, as a first byte past the end is.
    const [start, end] = r[1] === '' ? [Math.max(0, size - Number(r[2])), Number(r[2]) === 0 ? -1 : size - 1] : [Number(r[1]), r[2] === '' ? size - 1 : Math.min(Number(r[2]), size - 1)];
    if (start <= end && start < size) satisfiable++;
    ranges.push({ start, end });
  }
  if (satisfiable === 0) return 'unsatisfiable';
  return ranges.length === 1 ? ranges[0] : undefined;
}

const isResponse = (x: PullResponse | UpstreamFailure | 'absent'): x is PullResponse => typeof x === 'object' && 'headers' in x;

/** How a fetch of one (upstream, digest) ended, for the pulls that waited on it. */
type Flight = 'committed' | 'absent' | UpstreamFailure;

/** How often a pull waiting on another process's fill looks for its entry, or for the lock it left. */
const FILL_POLL_MS = 500;
/** Past this, a pull stops waiting on another process's fill and fetches for itself (a wedged holder must not stall pulls for ever). */
const FILL_WAIT_MS = 30 * 60_000;
const unlocked: FillLease = async () => undefined;

/**
 * Blobs through a virtual registry. Content by digest never changes: a cached copy from any of the
 * registry's upstreams serves, and is never re-checked. A miss streams from the first upstream that
 * has it to the client and into the store at once (blob-tee.ts), then records the entry once the
 * digest is verified. Pulls of the same uncached (upstream, digest) share one upstream fetch: in this
 * process the first streams it and the others wait for its commit, then read the store; across
 * processes (`fillLocks`) a process whose pull finds another process filling it waits the same way.
 */
export function createBlobPulls(deps: BlobDeps) {
  const flights = new Map<string, Promise<Flight>>();

  /** `cache`: `miss` when this pull's own fetch has just filled the entry. */
  async function fromCache(target: PullTarget, name: string, digest: string, range: string | undefined, headOnly: boolean, cache: 'hit' | 'miss' = 'hit'): Promise<PullResponse | null> {
    for (const entry of await findCacheEntries(deps.db, target, blobPath(name, digest))) {
      const head = await deps.store.head(entry.objectStorageKey);
      if (!head) continue;
      await noteCacheEntryUsed(deps.db, entry);
      const base = { 'content-type': 'application/octet-stream', 'docker-content-digest': digest, 'accept-ranges': 'bytes', ...cacheHeaders(cache) };
      const wanted = parseRange(range, head.size);
      if (wanted === 'unsatisfiable') return { status: 416, headers: { ...base, 'content-range': `bytes */${head.size}`, 'content-length': '0' } };
      if (headOnly) return { status: 200, headers: { ...base, 'content-length': String(head.size) } };
      // A local file is handed over opened, for the sender to write with buffers it reuses; any other store's object streams.
      const object = deps.store.open ? await deps.store.open(entry.objectStorageKey) : await deps.store.get(entry.objectStorageKey, wanted);
      if (!object) continue;
      const [start, end] = wanted ? [wanted.start, wanted.end] : [0, object.size - 1];
      const ranged: Record<string, string> = wanted ? { 'content-range': `bytes ${start}-${end}/${object.size}` } : {};
      const body = 'handle' in object ? { handle: object.handle, size: object.size, start, end } : object.body;
      return { status: wanted ? 206 : 200, headers: { ...base, ...ranged, 'content-length': String(end - start + 1) }, body };
    }
    return null;
  }

  /**
   * Leads the fetch of (u, digest): asks the upstream, and on a 200 tees its body to the client and the
   * store. `flight` settles when the entry is committed (or the fetch ends otherwise).
   */
  async function lead(target: PullTarget, u: PullUpstream, name: string, digest: string, settle: (f: Flight) => void): Promise<PullResponse | UpstreamFailure | 'absent'> {
    let res;
    try {
      res = await deps.upstreams.stream(u, `/v2/${name}/blobs/${digest}`);
    } catch (err) {
      if (!(err instanceof UpstreamUnreachable)) throw err;
      const failure = { upstream: u.name, status: null, reason: `is not reachable (${err.message.replace(/^.*: /, '')})` };
      settle(failure);
      return failure;
    }
    if (res.status !== 200) {
      await res.discard();
      const outcome = res.status === 404 ? 'absent' : failureOf(u, res.status);
      settle(outcome);
      return outcome;
    }
    const declared = res.header('content-length');
    const objectStorageKey = cacheObjectKey(target.tenant, u.id, 'blobs', digest);
    const { client, store, done } = teeVerified(res.body, digest);
    const put = deps.store.put(objectStorageKey, store, declared ? Number(declared) : undefined);
    put.catch(() => undefined); // its failure is handled below, once `done` has said how the stream ended
    const relativePath = blobPath(name, digest);
    const notCached = (err: unknown) => {
      deps.logger.warn({ upstream: u.name, name, digest, err: (err as Error).message }, 'blob not cached');
      settle({ upstream: u.name, status: 200, reason: `could not be cached: ${(err as Error).message}` });
    };
    void (async () => {
      let file;
      try {
        file = await done;
      } catch (err) {
        // A mismatch (or the upstream failing) destroyed the store's side, so its put leaves nothing.
        // Settled at once: a pull that comes right after the client's cut connection must lead a new fetch.
        notCached(err);
        return;
      }
      try {
        await put;
        const digests = await storedBlobDigests(deps.store, objectStorageKey);
        if (!digests) throw new Error('the stored object is gone');
        await upsertCacheEntry(deps.db, {
          upstreamId: u.id,
          registryId: target.registryId,
          tenantId: target.tenant,
          relativePath,
          digest,
          size: file.size,
          status: CACHE_ENTRY_STATUS.default,
          objectStorageKey,
          upstreamEtag: res.header('etag'),
          contentType: res.header('content-type'),
          fileMd5: digests.md5,
          fileSha1: digests.sha1,
          upstreamCheckedAt: new Date().toISOString(),
        });
      } catch (err) {
        // Nothing half-written stays: an object without its entry is removed.
        await deps.store.delete(objectStorageKey).catch(() => undefined);
        notCached(err);
        return;
      }
      settle('committed');
    })();
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream', 'docker-content-digest': digest, ...cacheHeaders('miss') };
    if (declared) headers['content-length'] = declared;
    return { status: 200, headers, body: client };
  }

  /** The entry of (u, digest) under this name, committed and in this process's store. */
  async function committedHere(target: PullTarget, u: PullUpstream, name: string, digest: string): Promise<boolean> {
    const entry = await findCacheEntry(deps.db, target, u.id, blobPath(name, digest));
    return entry !== null && (await deps.store.head(entry.objectStorageKey)) !== null;
  }

  /**
   * Waits until this process may fetch (u, digest): its lease on the fill across processes, or
   * 'committed' once another process's fill has put it in the store. A process that held the lock and
   * ended without committing (a failure, a crash) leaves it to the next taker.
   */
  async function leadership(target: PullTarget, u: PullUpstream, name: string, digest: string): Promise<FillLease | 'committed'> {
    const locks = deps.fillLocks;
    if (!locks) return unlocked;
    for (const until = Date.now() + FILL_WAIT_MS; Date.now() < until; ) {
      let lease;
      try {
        lease = await locks.tryTake(u.id, digest);
      } catch (err) {
        deps.logger.warn({ upstream: u.name, digest, err: (err as Error).message }, 'fill lock not taken: fetching without it');
        return unlocked;
      }
      if (lease) {
        // The fill that held it may have committed between this pull's miss and now.
        if (!(await committedHere(target, u, name, digest))) return lease;
        await lease();
        return 'committed';
      }
      await new Promise((resolve) => setTimeout(resolve, FILL_POLL_MS));
      if (await committedHere(target, u, name, digest)) return 'committed';
    }
    return unlocked;
  }

  /** Joins the running fetch of (u, digest), or leads a new one: only a leader gets the upstream's answer. */
  async function join(target: PullTarget, u: PullUpstream, name: string, digest: string): Promise<{ led: PullResponse | UpstreamFailure | 'absent' | null; flight: Promise<Flight> }> {
    const key = `${u.id}/${digest}`;
    const running = flights.get(key);
    if (running) return { led: null, flight: running };
    let settle!: (f: Flight) => void;
    const flight = new Promise<Flight>((resolve) => (settle = resolve));
    flights.set(key, flight);
    void flight.then(() => flights.delete(key));
    let lease: FillLease = unlocked;
    try {
      const leader = await leadership(target, u, name, digest);
      if (leader === 'committed') {
        settle('committed');
        return { led: null, flight };
      }
      lease = leader;
      // The lease ends with the fill, however it ends.
      const ended = (f: Flight) => {
        settle(f);
        void lease();
      };
      return { led: await lead(target, u, name, digest, ended), flight };
    } catch (err) {
      void lease();
      settle({ upstream: u.name, status: null, reason: `could not be fetched: ${(err as Error).message}` }); // never leave followers waiting
      throw err;
    }
  }

  return {
    /**
     * Fetches a blob into the cache with no client (a warm): from the first upstream that has it, as a
     * pull would, joining a pull already fetching it; `onBytes` sees the bytes go by. Its size, and
     * whether it was cached already; else the error answer a pull would have had.
     */
    async fill(target: PullTarget, name: string, digest: string, onBytes: (n: number) => void): Promise<{ size: number; cached: boolean } | PullResponse> {
      const cachedSize = async () => {
        const cached = await fromCache(target, name, digest, undefined, true);
        return cached ? Number(cached.headers['content-length']) : null;
      };
      const already = await cachedSize();
      if (already !== null) return { size: already, cached: true };
      const failures: UpstreamFailure[] = [];
      for (const u of target.upstreams) {
        const { led, flight } = await join(target, u, name, digest);
        if (led && isResponse(led)) {
          // A digest mismatch cuts this stream; the flight says why.
          try {
            for await (const chunk of led.body as Readable) onBytes((chunk as Buffer).length);
          } catch {
            /* the flight's outcome below */
          }
        }
        const outcome = await flight;
        if (outcome === 'absent') continue;
        if (outcome === 'committed') {
          const size = await cachedSize();
          if (size !== null) return { size, cached: false };
          continue;
        }
        failures.push(outcome);
      }
      if (target.upstreams.length === 0) return errorResponse(ociError(404, 'NAME_UNKNOWN', 'the virtual registry has no upstreams'));
      return notFoundOrFailed('BLOB_UNKNOWN', `blob ${digest} of ${name}`, failures);
    },

    async pull(target: PullTarget, name: string, digest: string, opts: { range?: string; headOnly: boolean }): Promise<PullResponse> {
      const cached = await fromCache(target, name, digest, opts.range, opts.headOnly);
      if (cached) return cached;
      const failures: UpstreamFailure[] = [];
      for (const u of target.upstreams) {
        if (opts.headOnly) {
          // A HEAD caches nothing: it asks whether the upstream has the blob, and how big it is.
          try {
            const res = await deps.upstreams.request(u, `/v2/${name}/blobs/${digest}`, { method: 'HEAD' });
            await res.body?.cancel();
            if (res.status === 404) continue;
            if (res.status !== 200) {
              failures.push(failureOf(u, res.status));
              continue;
            }
            const length = res.headers.get('content-length');
            return { status: 200, headers: { 'content-type': 'application/octet-stream', 'docker-content-digest': digest, ...(length ? { 'content-length': length } : {}), ...cacheHeaders('miss') } };
          } catch (err) {
            if (!(err instanceof UpstreamUnreachable)) throw err;
            failures.push({ upstream: u.name, status: null, reason: 'is not reachable' });
            continue;
          }
        }
        const { led, flight } = await join(target, u, name, digest);
        let outcome: Flight | PullResponse;
        // A ranged pull of a miss: the whole blob is fetched into the cache, the range served from there.
        if (led && isResponse(led) && opts.range !== undefined) {
          (led.body as Readable).resume();
          outcome = await flight;
        } else outcome = led ?? (await flight);
        if (outcome === 'absent') continue;
        if (outcome === 'committed') {
          // A miss for the pull that led the fetch; those that waited for it got it from the cache.
          const served = await fromCache(target, name, digest, opts.range, false, led ? 'miss' : 'hit');
          if (served) return served;
          continue;
        }
        if ('upstream' in outcome) {
          failures.push(outcome);
          continue;
        }
        return outcome;
      }
      if (target.upstreams.length === 0) return errorResponse(ociError(404, 'NAME_UNKNOWN', 'the virtual registry has no upstreams'));
      return notFoundOrFailed('BLOB_UNKNOWN', `blob ${digest} of ${name}`, failures);
    },
  };
}

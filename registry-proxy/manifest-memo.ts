/** Bytes kept at most: a few thousand manifests of a few KiB each. */
const MAX_BYTES = 32 * 1024 * 1024;

/**
 * Cached manifests' bytes in memory, by object key, least recently used dropped first. A key names its
 * content's digest (lib/cache-keys.ts), so the bytes under it never change and need no expiry: whether
 * a manifest is served at all is still decided by its cache entry, read from the database every time.
 */
export function createManifestMemo(maxBytes = MAX_BYTES) {
  const kept = new Map<string, Buffer>();
  let bytes = 0;
  return {
    get(key: string): Buffer | undefined {
      const body = kept.get(key);
      if (body) {
        kept.delete(key);
        kept.set(key, body); // now the most recently used
      }
      return body;
    },
    set(key: string, body: Buffer) {
      if (body.length > maxBytes || kept.has(key)) return;
      kept.set(key, body);
      bytes += body.length;
      for (const [oldest, old] of kept) {
        if (bytes <= maxBytes) break;
        kept.delete(oldest);
        bytes -= old.length;
      }
    },
  };
}

import { createHash } from 'node:crypto';
import type { Db } from '../db/client';
import { setCacheEntryMd5 } from '../db/cache-entries';
import type { ObjectStore } from '../lib/object-store';

/**
 * Records a committed blob's md5 (`file_md5`, nullable in the seed) from its stored object. A miss
 * computes only sha256 (to verify) and sha1 (required) while it streams: md5 costs more CPU per byte
 * than both together, on the thread that serves the client, so it is computed after the answer.
 * An object purged meanwhile leaves the entry without one.
 */
export async function recordBlobMd5(db: Db, store: ObjectStore, entry: { upstreamId: string; relativePath: string; objectStorageKey: string }): Promise<void> {
  const object = await store.get(entry.objectStorageKey);
  if (!object) return;
  const md5 = createHash('md5');
  for await (const chunk of object.body as AsyncIterable<Buffer>) md5.update(chunk);
  await setCacheEntryMd5(db, entry.upstreamId, entry.relativePath, md5.digest());
}

import { createHash } from 'node:crypto';
import type { ObjectStore } from '../lib/object-store';

/** A local file is read into one buffer reused from read to read (no garbage per chunk, as lib/file-range.ts). */
const CHUNK = 1024 * 1024;

/**
 * The md5 and sha1 of a stored blob (`file_md5`, `file_sha1`), read back from the store in one pass
 * once the streamed copy is whole. While a miss streams only sha256 is computed (to verify the digest
 * before the client gets the last batch): md5 and sha1 together cost more CPU per byte than it, on the
 * thread that feeds the client, and nobody waits on them but the entry's commit. Null when the
 * object is gone (purged meanwhile).
 */
export async function storedBlobDigests(store: ObjectStore, key: string): Promise<{ md5: Buffer; sha1: Buffer } | null> {
  const md5 = createHash('md5');
  const sha1 = createHash('sha1');
  const update = (chunk: Buffer) => {
    md5.update(chunk);
    sha1.update(chunk);
  };
  if (store.open) {
    const file = await store.open(key);
    if (!file) return null;
    try {
      const buffer = Buffer.allocUnsafeSlow(Math.max(1, Math.min(CHUNK, file.size)));
      for (let position = 0; position < file.size; ) {
        const { bytesRead } = await file.handle.read(buffer, 0, buffer.length, position);
        if (bytesRead === 0) break;
        update(buffer.subarray(0, bytesRead));
        position += bytesRead;
      }
    } finally {
      await file.handle.close();
    }
  } else {
    const object = await store.get(key);
    if (!object) return null;
    for await (const chunk of object.body as AsyncIterable<Buffer>) update(chunk);
  }
  return { md5: md5.digest(), sha1: sha1.digest() };
}

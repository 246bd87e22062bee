import { createHash } from 'node:crypto';
import { PassThrough, type Readable, type Writable } from 'node:stream';

/** What was computed while the bytes went by. */
export interface StreamedFile {
  size: number;
  md5: Buffer;
  sha1: Buffer;
  sha256: string;
}

/** The upstream's bytes do not hash to the digest they were asked by: nothing is cached, the client's answer is cut. */
export class DigestMismatch extends Error {}

/** Resolves on `drain`, or when the stream is gone (a client that went away must not stall the store copy). */
const drained = (stream: Writable) =>
  new Promise<void>((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('close', done);
  });

const BUFFER = 1024 * 1024;

/**
 * One upstream read, two consumers: `client` (the puller's answer) and `store` (the cache's `put`).
 * The source is read only as fast as the slower live consumer takes it (each holds at most ~1 MiB),
 * so memory stays bounded whatever the size. md5, sha1 and sha256 are computed on the way; the
 * last chunk is held back from the client until the sha256 matches `expectedSha256`, so a corrupted
 * blob never reaches a client whole: on a mismatch both consumers are destroyed (the store's put
 * leaves nothing, the client's connection is cut). A client that goes away leaves the store copy
 * running to completion, so the next pull finds it.
 */
export function teeVerified(source: Readable, expectedSha256: string) {
  const client = new PassThrough({ highWaterMark: BUFFER });
  const store = new PassThrough({ highWaterMark: BUFFER });
  // Their failures are reported by `done`; an unconsumed side must not throw an unhandled 'error'.
  for (const side of [client, store]) side.on('error', () => undefined);
  const done = (async (): Promise<StreamedFile> => {
    const hashes = { md5: createHash('md5'), sha1: createHash('sha1'), sha256: createHash('sha256') };
    let size = 0;
    let held: Buffer | null = null;
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        for (const h of Object.values(hashes)) h.update(chunk);
        size += chunk.length;
        const waits: Promise<void>[] = [];
        if (!store.destroyed && !store.write(chunk)) waits.push(drained(store));
        if (held && !client.destroyed && !client.write(held)) waits.push(drained(client));
        held = chunk;
        if (store.destroyed && client.destroyed) throw new Error('both the client and the store went away');
        await Promise.all(waits);
      }
      const sha256 = `sha256:${hashes.sha256.digest('hex')}`;
      if (sha256 !== expectedSha256) throw new DigestMismatch(`the upstream's bytes hash to ${sha256}, not ${expectedSha256}`);
      if (!client.destroyed) client.end(held ?? undefined);
      store.end();
      return { size, md5: hashes.md5.digest(), sha1: hashes.sha1.digest(), sha256 };
    } catch (err) {
      source.destroy();
      client.destroy(err as Error);
      store.destroy(err as Error);
      throw err;
    }
  })();
  return { client, store, done };
}

import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, opendir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ObjectStore } from '../lib/object-store';

const TMP = '.tmp';
/** Reads of 1 MiB, not the default 64 KiB: a blob served from the cache then costs a sixteenth of the chunks on its way to the socket. */
const READ_CHUNK = 1024 * 1024;

/** The cache on the local filesystem under `root`: written to `.tmp/` first, renamed into place when whole. */
export function createFsObjectStore(root: string): ObjectStore {
  const base = resolve(root);
  const path = (key: string) => {
    const full = resolve(base, key);
    // Keys come from digests and names the pull path has validated; refuse anything escaping the root anyway.
    if (!full.startsWith(base + sep) || relative(base, full).split(sep)[0] === TMP) throw new Error(`object key outside the store: ${key}`);
    return full;
  };
  const statOf = async (file: string) => {
    try {
      return await stat(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  };
  const sizeOf = async (file: string) => (await statOf(file))?.size ?? null;

  return {
    kind: 'fs',
    async put(key, body) {
      const target = path(key);
      const tmp = join(base, TMP, randomUUID());
      await mkdir(dirname(tmp), { recursive: true });
      try {
        await pipeline(body, createWriteStream(tmp));
        await mkdir(dirname(target), { recursive: true });
        await rename(tmp, target);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
    },
    async get(key, range) {
      const file = path(key);
      const size = await sizeOf(file);
      if (size === null) return null;
      // No bigger than the object: each read allocates its whole buffer, and a manifest is a few KiB.
      const highWaterMark = Math.max(1, Math.min(READ_CHUNK, range ? range.end - range.start + 1 : size));
      return { body: createReadStream(file, { highWaterMark, ...(range ? { start: range.start, end: range.end } : {}) }) as Readable, size };
    },
    async open(key) {
      let handle;
      try {
        handle = await open(path(key), 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
      try {
        return { handle, size: (await handle.stat()).size };
      } catch (err) {
        await handle.close();
        throw err;
      }
    },
    async head(key) {
      const size = await sizeOf(path(key));
      return size === null ? null : { size };
    },
    async delete(key) {
      await rm(path(key), { force: true });
    },
    async *list(prefix) {
      async function* walk(dir: string): AsyncIterable<string> {
        let entries;
        try {
          entries = await opendir(dir);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
          throw err;
        }
        for await (const entry of entries) {
          const full = join(dir, entry.name);
          if (entry.isDirectory()) {
            if (full !== join(base, TMP)) yield* walk(full);
          } else {
            const key = relative(base, full).split(sep).join('/');
            if (key.startsWith(prefix)) yield key;
          }
        }
      }
      // Walk from the deepest directory the prefix names whole, then filter by the rest.
      const dir = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
      yield* walk(dir ? path(dir) : base);
    },
    async sweepUnfinished(before) {
      const tmp = join(base, TMP);
      let entries;
      try {
        entries = await opendir(tmp);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
        throw err;
      }
      let removed = 0;
      for await (const entry of entries) {
        const file = join(tmp, entry.name);
        // A put renames its file away when it ends: one gone meanwhile is not ours to count.
        const stats = await statOf(file);
        if (stats && stats.mtime < before) {
          await rm(file, { force: true });
          removed++;
        }
      }
      return removed;
    },
  };
}

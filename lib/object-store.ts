import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';

/** An object held in a local file, opened: its reader closes `handle`. */
export interface OpenedFile {
  handle: FileHandle;
  size: number;
}

/**
 * Where a virtual registry's cache keeps its files (issue #16): the local filesystem by default, any
 * S3-compatible store when configured. Keys are relative paths with `/` separators. Bodies stream:
 * a multi-GB model layer never sits in memory.
 */
export interface ObjectStore {
  /** `fs` or `s3`: shown by health and the README, never used to branch on. */
  readonly kind: string;
  /**
   * Writes `body` under `key`. Nothing is visible under `key` until the whole body is written
   * (a temporary name then a rename, or a multipart upload completed at the end); a failed or
   * aborted body leaves nothing. `size`, when known, lets a store send one request.
   */
  put(key: string, body: Readable, size?: number): Promise<void>;
  /** The object, or the bytes `start`…`end` (inclusive) of it; null when there is none. */
  get(key: string, range?: { start: number; end: number }): Promise<{ body: Readable; size: number } | null>;
  /**
   * Filesystem stores only: the object's file, opened (null when there is none), so that a sender can
   * read it into buffers it reuses; a stream allocates a new buffer per chunk, and on a multi-GB blob
   * collecting those is most of the serving process's CPU.
   */
  open?(key: string): Promise<OpenedFile | null>;
  /** The object's size, or null when there is none. */
  head(key: string): Promise<{ size: number } | null>;
  /** Removes the object; a missing one is not an error. */
  delete(key: string): Promise<void>;
  /** Every key under `prefix` (for removing orphans). */
  list(prefix: string): AsyncIterable<string>;
  /**
   * Removes what puts left behind when their process died half way (a temporary file, a multipart
   * upload never completed nor aborted): those last written (filesystem) or started (S3) before
   * `before`, which the caller sets well past any put still running. How many it removed.
   */
  sweepUnfinished(before: Date): Promise<number>;
}

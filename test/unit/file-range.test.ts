import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileRange } from '../../lib/file-range';

/** A slow consumer that keeps each chunk until its write callback: it copies the bytes only then, so a buffer reused too early shows. */
function slowSink(opts: { failAfter?: number } = {}) {
  const chunks: Buffer[] = [];
  let written = 0;
  const sink = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _encoding, callback) {
      setTimeout(() => {
        chunks.push(Buffer.from(chunk));
        written += chunk.length;
        if (opts.failAfter !== undefined && written > opts.failAfter) sink.destroy(new Error('the client went away'));
        callback();
      }, 2);
    },
  });
  return { sink, bytes: () => Buffer.concat(chunks) };
}

describe('writeFileRange', () => {
  const dir = mkdtempSync(join(tmpdir(), 'file-range-'));
  const data = randomBytes(5 * 1024 * 1024 + 123);
  const file = join(dir, 'blob');
  writeFileSync(file, data);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const opened = async (start: number, end: number) => {
    const handle = await open(file, 'r');
    return { handle, size: data.length, start, end };
  };

  it('writes the whole file, and ranges inside one chunk or across several, byte for byte through reused buffers, then closes the file', async () => {
    for (const [start, end] of [[0, data.length - 1], [1, data.length - 2], [100, 199], [1024 * 1024 - 1, 3 * 1024 * 1024]] as const) {
      const { sink, bytes } = slowSink();
      const range = await opened(start, end);
      await writeFileRange(range, sink);
      await finished(sink);
      expect(bytes().equals(data.subarray(start, end + 1))).toBe(true);
      await expect(range.handle.stat()).rejects.toThrow(/closed/);
    }
  });

  it('stops and closes the file when the consumer goes away midway', async () => {
    const { sink } = slowSink({ failAfter: 0 }); // after the first chunk, while the last ones are still to be read
    sink.on('error', () => undefined);
    const range = await opened(0, data.length - 1);
    await expect(writeFileRange(range, sink)).rejects.toThrow();
    await expect(range.handle.stat()).rejects.toThrow(/closed/);
  });
});

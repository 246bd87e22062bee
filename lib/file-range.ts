import type { Writable } from 'node:stream';
import type { OpenedFile } from './object-store';

/** Bytes `start`…`end` (inclusive) of an opened file, to be written out by `writeFileRange`. */
export interface FileRange extends OpenedFile {
  start: number;
  end: number;
}

/** Reads of 1 MiB, four in flight: the socket always has the next one while a read runs. */
const CHUNK = 1024 * 1024;
const IN_FLIGHT = 4;

/**
 * Writes a file range to `out`, then ends it, through a few buffers reused from one read to the next:
 * a buffer goes back to the reads when `out`'s write callback says the bytes have left it. Nothing is
 * allocated per chunk, so a multi-GB blob leaves no garbage behind (a read stream allocates each chunk,
 * and collecting them cost more CPU than the copy). Closes the file in every case; rejects when `out`
 * goes away or fails before the range is written.
 */
export async function writeFileRange(file: FileRange, out: Writable): Promise<void> {
  try {
    const length = file.end - file.start + 1;
    const free = Array.from({ length: Math.min(IN_FLIGHT, Math.ceil(length / CHUNK)) }, () => Buffer.allocUnsafeSlow(Math.min(CHUNK, length)));
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    const gone = () => {
      failure ??= new Error('the connection closed before the whole range was written');
      wake?.();
    };
    out.once('close', gone);
    try {
      for (let position = file.start; position <= file.end; ) {
        while (free.length === 0 && !failure) await new Promise<void>((resolve) => (wake = resolve));
        if (failure) throw failure;
        const buffer = free.pop()!;
        const { bytesRead } = await file.handle.read(buffer, 0, Math.min(buffer.length, file.end - position + 1), position);
        if (bytesRead === 0) throw new Error(`the file ended at ${position}, before the range's end ${file.end}`);
        position += bytesRead;
        out.write(bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead), (err) => {
          if (err) failure ??= err;
          else free.push(buffer);
          wake?.();
        });
      }
      out.end();
    } finally {
      out.off('close', gone);
    }
  } finally {
    await file.handle.close();
  }
}

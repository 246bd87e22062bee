import { AbortMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { pipeline, type Readable, Transform } from 'node:stream';
import type { S3StorageConfig } from '../lib/config';
import type { ObjectStore } from '../lib/object-store';

export interface S3ObjectStoreOptions extends S3StorageConfig {
  /** Keys per ListObjectsV2 page (S3's maximum and default is 1000); tests page with fewer. */
  listPageSize?: number;
}

const MiB = 1024 * 1024;
// A multipart upload holds up to queueSize parts in memory (lib-storage buffers each part whole
// before sending it), so a put costs about 2 × 16 MiB whatever the body's size: many concurrent
// pulls filling the cache stay bounded. Two parts in flight keep a nearby store busy.
const QUEUE_SIZE = 2;
// S3 allows 10,000 parts: 16 MiB parts take a body of unknown size up to 160 GiB; a known size
// gets the smallest part (≥ 8 MiB) that fits it.
const PART_SIZE_UNKNOWN = 16 * MiB;
const PART_SIZE_MIN = 8 * MiB;
const MAX_PARTS = 10_000;

/**
 * The cache in an S3-compatible bucket (issue #16). put is a multipart upload that the server
 * makes visible only on completion; a body that fails aborts it, so nothing appears under the key.
 * Errors name the operation, bucket and key, never the credentials.
 */
export function createS3ObjectStore(options: S3ObjectStoreOptions): ObjectStore {
  const { bucket } = options;
  if (!!options.accessKeyId !== !!options.secretAccessKey) throw new Error('S3 object store: give both an access key id and a secret access key, or neither');
  const client = new S3Client({
    endpoint: options.endpoint,
    region: options.region,
    forcePathStyle: options.forcePathStyle,
    credentials: options.accessKeyId && options.secretAccessKey ? { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } : undefined,
    // The SDK's default adds CRC32 trailers (aws-chunked bodies) that not every S3-compatible server
    // accepts; checksums only where the API requires them is what all of them understand.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const base = options.prefix ? options.prefix.replace(/\/*$/, '/') : '';
  const objectKey = (key: string) => {
    // Keys are digests and validated names; a `.`/`..`/empty segment would be kept literally here
    // but resolved by the filesystem store (and by some servers): refuse it so both stores agree.
    if (key.startsWith('/') || key.split('/').some((s) => s === '' || s === '.' || s === '..')) throw new Error(`invalid object key: ${key}`);
    return base + key;
  };
  const failed = (operation: string, key: string, err: unknown) => {
    const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : '';
    return new Error(`S3 ${operation} of "${key}" in bucket ${bucket} failed: ${e.name ?? 'Error'}: ${e.message ?? String(err)}${status}`);
  };
  const isMissing = (err: unknown) => {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    // GetObject names it; a HEAD answer has no body, so a 404 is all there is.
    return e.name === 'NoSuchKey' || e.name === 'NotFound' || (e.name !== 'NoSuchBucket' && e.$metadata?.httpStatusCode === 404);
  };

  return {
    kind: 's3',
    async put(key, body, size) {
      const Key = objectKey(key);
      const partSize = size === undefined ? PART_SIZE_UNKNOWN : Math.max(PART_SIZE_MIN, Math.ceil(size / MAX_PARTS));
      const upload = new Upload({
        client,
        queueSize: QUEUE_SIZE,
        partSize,
        params: { Bucket: bucket, Key, Body: size === undefined ? body : checked(body, size), ContentLength: size },
      });
      try {
        await upload.done();
      } catch (err) {
        body.destroy();
        throw failed('put', key, err);
      }
    },
    async get(key, range) {
      try {
        const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey(key), Range: range ? `bytes=${range.start}-${range.end}` : undefined }));
        // A ranged answer's Content-Range ends with the whole object's size, which is what `size` means.
        const total = range ? Number(answer.ContentRange?.split('/')[1]) : answer.ContentLength;
        if (total === undefined || !Number.isSafeInteger(total)) throw new Error(`no object size in the answer (Content-Range ${answer.ContentRange})`);
        return { body: answer.Body as Readable, size: total };
      } catch (err) {
        if (isMissing(err)) return null;
        throw failed('get', key, err);
      }
    },
    async head(key) {
      try {
        const answer = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
        return { size: answer.ContentLength ?? 0 };
      } catch (err) {
        if (isMissing(err)) return null;
        throw failed('head', key, err);
      }
    },
    async delete(key) {
      try {
        // S3 answers 204 for a key that is not there.
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
      } catch (err) {
        throw failed('delete', key, err);
      }
    },
    async *list(prefix) {
      let ContinuationToken: string | undefined;
      do {
        let page;
        try {
          page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: base + prefix, ContinuationToken, MaxKeys: options.listPageSize }));
        } catch (err) {
          throw failed('list', prefix, err);
        }
        for (const object of page.Contents ?? []) if (object.Key) yield object.Key.slice(base.length);
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken);
    },
    async sweepUnfinished(before) {
      let removed = 0;
      let KeyMarker: string | undefined;
      let UploadIdMarker: string | undefined;
      for (;;) {
        let page;
        try {
          page = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: base || undefined, KeyMarker, UploadIdMarker, MaxUploads: options.listPageSize }));
        } catch (err) {
          throw failed('multipart upload listing', base, err);
        }
        for (const upload of page.Uploads ?? []) {
          if (!upload.Key || !upload.UploadId || !upload.Initiated || upload.Initiated >= before) continue;
          try {
            await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }));
          } catch (err) {
            // Completed or aborted by its own put since the listing.
            if (isMissing(err) || (err as { name?: string }).name === 'NoSuchUpload') continue;
            throw failed('abort', upload.Key.slice(base.length), err);
          }
          removed++;
        }
        if (!page.IsTruncated) return removed;
        KeyMarker = page.NextKeyMarker;
        UploadIdMarker = page.NextUploadIdMarker;
      }
    },
  };
}

/** The body, failing at its end when it was not `size` bytes: a short body must not complete an upload. */
function checked(body: Readable, size: number): Readable {
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      done(seen > size ? new Error(`body longer than its declared ${size} bytes`) : null, chunk);
    },
    flush(done) {
      done(seen === size ? null : new Error(`body of ${seen} bytes, declared ${size}`));
    },
  });
  // pipeline (not pipe) carries the body's own error through to what the upload reads.
  return pipeline(body, counter, () => {});
}

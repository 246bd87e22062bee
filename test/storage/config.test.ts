import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheStorageFromEnv } from '../../lib/config';
import { createObjectStore } from '../../storage/index';

const S3 = { CACHE_STORAGE: 's3', CACHE_S3_BUCKET: 'model-cache' };

describe('the cache storage configuration', () => {
  it('is the filesystem unless CACHE_STORAGE says s3', () => {
    expect(cacheStorageFromEnv({})).toEqual({ kind: 'fs' });
    expect(cacheStorageFromEnv({ CACHE_STORAGE: 'fs', CACHE_S3_BUCKET: 'ignored' })).toEqual({ kind: 'fs' });
  });

  it('reads the CACHE_S3_* variables, path-style by default only with an endpoint', () => {
    expect(cacheStorageFromEnv(S3)).toEqual({ kind: 's3', s3: { region: 'us-east-1', bucket: 'model-cache', forcePathStyle: false } });
    expect(
      cacheStorageFromEnv({
        ...S3,
        CACHE_S3_ENDPOINT: 'http://seaweedfs:8333',
        CACHE_S3_REGION: 'eu-west-1',
        CACHE_S3_PREFIX: 'registry/cache/',
        CACHE_S3_ACCESS_KEY_ID: 'AKID',
        CACHE_S3_SECRET_ACCESS_KEY: 'shh',
      }),
    ).toEqual({
      kind: 's3',
      s3: { endpoint: 'http://seaweedfs:8333', region: 'eu-west-1', bucket: 'model-cache', prefix: 'registry/cache/', accessKeyId: 'AKID', secretAccessKey: 'shh', forcePathStyle: true },
    });
    expect(cacheStorageFromEnv({ ...S3, CACHE_S3_ENDPOINT: 'https://s3.example.com', CACHE_S3_FORCE_PATH_STYLE: 'false' })).toMatchObject({ s3: { forcePathStyle: false } });
    expect(cacheStorageFromEnv({ ...S3, CACHE_S3_FORCE_PATH_STYLE: 'true' })).toMatchObject({ s3: { forcePathStyle: true } });
  });

  it('fails start-up naming the variable that is wrong, without echoing a secret', () => {
    const cases: [NodeJS.ProcessEnv, RegExp][] = [
      [{ CACHE_STORAGE: 'gcs' }, /^CACHE_STORAGE must be fs or s3, got "gcs"$/],
      [{ CACHE_STORAGE: 's3' }, /^CACHE_S3_BUCKET is required when CACHE_STORAGE=s3$/],
      [{ ...S3, CACHE_S3_BUCKET: 's3://Model_Cache' }, /^CACHE_S3_BUCKET must be an S3 bucket name/],
      [{ ...S3, CACHE_S3_ENDPOINT: 'seaweedfs:8333' }, /^CACHE_S3_ENDPOINT must be an http\(s\) URL/],
      [{ ...S3, CACHE_S3_SECRET_ACCESS_KEY: 'top-secret-value' }, /^CACHE_S3_ACCESS_KEY_ID and CACHE_S3_SECRET_ACCESS_KEY go together/],
      [{ ...S3, CACHE_S3_ACCESS_KEY_ID: 'AKID' }, /^CACHE_S3_ACCESS_KEY_ID and CACHE_S3_SECRET_ACCESS_KEY go together/],
      [{ ...S3, CACHE_S3_PREFIX: '/cache' }, /^CACHE_S3_PREFIX must not start with "\/"/],
      [{ ...S3, CACHE_S3_FORCE_PATH_STYLE: 'yes' }, /^CACHE_S3_FORCE_PATH_STYLE must be true or false, got "yes"$/],
    ];
    for (const [env, message] of cases) {
      expect(() => cacheStorageFromEnv(env)).toThrow(message);
      expect(() => cacheStorageFromEnv(env)).not.toThrow(/top-secret-value/);
    }
  });

  it('makes the store it names', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'modelregistry-cache-config-'));
    try {
      expect(createObjectStore({ cacheDir: dir, cacheStorage: { kind: 'fs' } }).kind).toBe('fs');
      const s3 = { region: 'us-east-1', bucket: 'model-cache', endpoint: 'http://127.0.0.1:1', forcePathStyle: true };
      expect(createObjectStore({ cacheDir: dir, cacheStorage: { kind: 's3', s3 } }).kind).toBe('s3');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

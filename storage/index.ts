import type { Config } from '../lib/config';
import type { ObjectStore } from '../lib/object-store';
import { createFsObjectStore } from './fs';
import { createS3ObjectStore } from './s3';

/** The virtual registries' cache storage the configuration names: files under `cacheDir` by default, else the S3 bucket. */
export function createObjectStore(config: Pick<Config, 'cacheDir' | 'cacheStorage'>): ObjectStore {
  const storage = config.cacheStorage;
  return storage.kind === 's3' ? createS3ObjectStore(storage.s3) : createFsObjectStore(config.cacheDir);
}

import { createHash } from 'node:crypto';

/** This service's UUIDv5 namespace (itself a random UUID, fixed once): names of ours never collide with another's. */
const NAMESPACE = Buffer.from('6f1c3e0a9b2d4c7e8a5f0d1e2c3b4a59', 'hex');

/**
 * A UUID version 5 (RFC 9562 §5.5) of a name: the same name gives the same id on every worker and
 * every attempt. Not for workflow code (node:crypto): workflows use `uuid4()`, which replay keeps.
 */
export function nameUuid(name: string): string {
  const bytes = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

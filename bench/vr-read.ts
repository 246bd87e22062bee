/**
 * The reader of bench/virtual-registry.ts, in a process of its own so that its work never shares the
 * event loop of the API it measures: reads a blob over HTTP (a GET, with a bearer token for the
 * virtual registry) or a file from disk, hashing every chunk with sha256 as a verifying puller does,
 * the same work on either side. Prints one JSON line: bytes, seconds (request to last byte), the
 * digest, the answer's `x-cache`, and this process's CPU time (ms) over it.
 *
 *   npx tsx bench/vr-read.ts <http://…|file path> [token]
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { get } from 'node:http';
import type { Readable } from 'node:stream';

const [source, token] = process.argv.slice(2) as [string, string | undefined];

const started = performance.now();
const cpu = process.cpuUsage();
let cache: string | null = null;
const body: Readable = source.startsWith('http://')
  ? await new Promise((resolve, reject) => {
      get(source, { headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`GET ${source}: ${res.statusCode}`));
        cache = (res.headers['x-cache'] as string | undefined) ?? null;
        resolve(res);
      }).on('error', reject);
    })
  : createReadStream(source);
const hash = createHash('sha256');
let bytes = 0;
for await (const chunk of body as AsyncIterable<Buffer>) {
  hash.update(chunk);
  bytes += chunk.length;
}
const seconds = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpu);
console.log(JSON.stringify({ bytes, seconds, digest: `sha256:${hash.digest('hex')}`, cache, cpuMs: Math.round((used.user + used.system) / 1000) }));

import { CreateBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from './ports';

const execFileAsync = promisify(execFile);
const ensureScript = fileURLToPath(new URL('../../scripts/ensure-seaweedfs.sh', import.meta.url));
const START_TIMEOUT_MS = 120_000;

export interface SeaweedFs {
  /** The S3 endpoint, e.g. http://127.0.0.1:40123 (path-style addressing). */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  stop(): Promise<void>;
}

/**
 * A real SeaweedFS (`weed server`: master, volume server, filer and S3 gateway in one process) on
 * free loopback ports, its data in a fresh temp dir, from the binary scripts/ensure-seaweedfs.sh
 * built. S3 requests must be signed with the one identity its `-s3.config` file names (fresh random
 * keys), so the store's authentication is exercised. Ready once a signed ListBuckets succeeds;
 * `buckets` are created then.
 */
export async function startSeaweedFs(opts: { buckets?: string[] } = {}): Promise<SeaweedFs> {
  // Asynchronously: the first run on a machine builds SeaweedFS for minutes.
  const bin = (await execFileAsync('bash', [ensureScript], { encoding: 'utf8' })).stdout.trim();
  const dir = await mkdtemp(join(tmpdir(), 'modelregistry-seaweedfs-'));
  const credentials = { accessKeyId: `test${randomBytes(8).toString('hex')}`, secretAccessKey: randomBytes(24).toString('base64url') };
  const identities = { identities: [{ name: 'cache', credentials: [{ accessKey: credentials.accessKeyId, secretKey: credentials.secretAccessKey }], actions: ['Admin', 'Read', 'List', 'Tagging', 'Write'] }] };
  await writeFile(join(dir, 's3.json'), JSON.stringify(identities));
  // Each server also listens for gRPC (port + 10000 unless given, which may be taken or out of range): all ports explicit.
  const [s3, s3Grpc, master, masterGrpc, volume, volumeGrpc, filer, filerGrpc] = await Promise.all(Array.from({ length: 8 }, () => freePort()));
  const args = [
    'server',
    `-dir=${dir}`,
    '-ip=127.0.0.1',
    `-master.port=${master}`,
    `-master.port.grpc=${masterGrpc}`,
    '-master.telemetry=false',
    // Every bucket is a collection that grows several volumes at once; volumes are sparse files,
    // so many small ones cost nothing and never run out.
    '-master.volumeSizeLimitMB=256',
    '-volume.max=100',
    `-volume.port=${volume}`,
    `-volume.port.grpc=${volumeGrpc}`,
    '-volume.preStopSeconds=0',
    `-filer.port=${filer}`,
    `-filer.port.grpc=${filerGrpc}`,
    `-filer.localSocket=${join(dir, 'filer.sock')}`,
    '-s3',
    `-s3.port=${s3}`,
    `-s3.port.grpc=${s3Grpc}`,
    `-s3.localSocket=${join(dir, 's3.sock')}`,
    `-s3.config=${join(dir, 's3.json')}`,
    // The Iceberg and Lance catalogs listen on fixed ports by default: off.
    '-s3.port.iceberg=0',
    '-s3.port.lance=0',
  ];
  // Its own process group, so stop() ends whatever it started; cwd: it reads master.toml and friends from there.
  const child = spawn(bin, args, { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  // Keep draining the pipes (a full pipe blocks it); remember only the tail for errors.
  let output = '';
  const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-16_000));
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);

  const endpoint = `http://127.0.0.1:${s3}`;
  const region = 'us-east-1';
  const client = new S3Client({ endpoint, region, forcePathStyle: true, credentials, maxAttempts: 1 });
  const stop = async () => {
    client.destroy();
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    await exited;
    // The gRPC sockets of the services in one process go to fixed /tmp paths, named by port.
    const sockets = [['master', masterGrpc], ['volume', volumeGrpc], ['filer', filerGrpc], ['s3', s3Grpc]].map(([name, port]) => `/tmp/seaweedfs-${name}-grpc-${port}.sock`);
    await Promise.all([dir, ...sockets].map((path) => rm(path, { recursive: true, force: true })));
  };

  try {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`weed server exited with ${child.exitCode ?? child.signalCode}`);
      try {
        await client.send(new ListBucketsCommand({}));
        break;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`SeaweedFS's S3 did not answer a signed ListBuckets within ${START_TIMEOUT_MS / 1000} s: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    for (const Bucket of opts.buckets ?? []) await client.send(new CreateBucketCommand({ Bucket }));
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${output}`);
  }
  return { endpoint, region, ...credentials, stop };
}

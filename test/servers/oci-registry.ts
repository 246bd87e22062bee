import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitForPort } from './ports';

const ensureScript = fileURLToPath(new URL('../../scripts/ensure-registry.sh', import.meta.url));

/**
 * A real OCI distribution registry (Debian's docker-registry) on loopback, deletes enabled; by default
 * on a free port with storage in a temp dir that `stop()` removes, or in `dataDir` (kept) for the local stack.
 */
export async function startOciRegistry(opts: { port?: number; dataDir?: string } = {}): Promise<{ url: string; address: string; stop(): Promise<void> }> {
  const bin = execFileSync('bash', [ensureScript], { encoding: 'utf8' }).trim();
  const dir = mkdtempSync(join(tmpdir(), 'modelregistry-oci-'));
  const port = opts.port ?? (await freePort());
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      // As distribution's default config: blob descriptors from memory, not a stat per lookup.
      '  cache:',
      '    blobdescriptor: inmemory',
      '  filesystem:',
      `    rootdirectory: ${opts.dataDir ?? join(dir, 'data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
    ].join('\n'),
  );
  const child = spawn(bin, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  try {
    await waitForPort(port, 15_000, 'docker-registry');
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${stderr}`);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    address: `127.0.0.1:${port}`,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

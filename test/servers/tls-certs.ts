import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * A throw-away CA (ca.pem) and, signed by it, a server certificate for localhost / 127.0.0.1
 * (server.pem, server.key) and a client certificate (client.pem, client.key), P-256, valid a day:
 * what composition/temporal-server/config.yaml's mTLS takes (TEMPORAL_CLUSTER_TLS_DIR). Made with openssl.
 */
export async function makeTlsCertificates(dir: string): Promise<void> {
  const openssl = (...args: string[]) => execFileAsync('openssl', args, { cwd: dir });
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl('req', '-x509', ...key, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=modelregistry test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  for (const [name, cn, extensions] of [
    ['server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'],
    ['client', 'modelregistry-worker', 'extendedKeyUsage=clientAuth\n'],
  ] as const) {
    await writeFile(join(dir, `${name}.ext`), `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n${extensions}`);
    await openssl('req', ...key, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    await openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`);
  }
}

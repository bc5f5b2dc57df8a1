// A CA and a serving certificate made with openssl, for HTTPS on loopback.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, writeTemp } from '../../harness/processes.js';

export interface Tls {
  caFile: string;
  certFile: string;
  keyFile: string;
  caPem: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A fresh CA and a certificate for `sans` (e.g. ["IP:127.0.0.1"]) signed by it. */
export function makeTls(sans: string[]): Tls {
  const dir = tempDir('tls');
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'], dir);
  openssl(['req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '2', '-subj', '/CN=stepup-test-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign', '-out', 'ca.crt'], dir);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'tls.key'], dir);
  openssl(['req', '-new', '-key', 'tls.key', '-subj', '/CN=stepup-webhook', '-out', 'tls.csr'], dir);
  writeTemp(dir, 'ext.cnf', `basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=${sans.join(',')}\n`);
  openssl(['x509', '-req', '-in', 'tls.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-sha256', '-extfile', 'ext.cnf', '-out', 'tls.crt'], dir);
  const caFile = join(dir, 'ca.crt');
  return { caFile, certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), caPem: readFileSync(caFile, 'utf8') };
}

// Test certificates made with the real openssl CLI: CAs and leaves with SPIFFE URI SANs, including
// the bad ones the mesh must refuse (expired, foreign trust domain, CA:TRUE, another CA).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Pem { readonly cert: string; readonly key: string; readonly certFile: string; readonly keyFile: string }

function openssl(args: readonly string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function read(dir: string, name: string): Pem {
  const certFile = path.join(dir, `${name}.crt`);
  const keyFile = path.join(dir, `${name}.key`);
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), certFile, keyFile };
}

/** A self-signed EC P-256 root. `uri` (e.g. spiffe://<td>) is what Consul wants on its own root. */
export function makeRoot(dir: string, name: string, uri?: string): Pem {
  mkdirSync(dir, { recursive: true });
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`], dir);
  openssl(['req', '-new', '-x509', '-key', `${name}.key`, '-out', `${name}.crt`, '-days', '30', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
    ...(uri ? ['-addext', `subjectAltName=URI:${uri}`] : [])], dir);
  return read(dir, name);
}

export interface LeafOptions {
  readonly uris: readonly string[];
  /** DNS SANs (public-facing server certificates) */
  readonly dns?: readonly string[];
  /** IP address SANs (a server reached by address) */
  readonly ips?: readonly string[];
  /** default an EC P-256 key */
  readonly rsa?: boolean;
  readonly isCa?: boolean;
  /** YYMMDDHHMMSSZ; default now − 1 h */
  readonly startDate?: string;
  /** YYMMDDHHMMSSZ; default now + 1 day */
  readonly endDate?: string;
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
}

/** A leaf signed by `ca` with `openssl ca` (which, unlike `x509`, can set both dates). */
export function signLeaf(dir: string, ca: Pem, name: string, o: LeafOptions): Pem {
  const db = path.join(dir, `${name}-db`);
  mkdirSync(db, { recursive: true });
  writeFileSync(path.join(db, 'index.txt'), '');
  writeFileSync(path.join(db, 'serial'), `${(Date.now() % 1e12).toString(16).padStart(16, '0')}\n`);
  const san = [...o.uris.map((u) => `URI:${u}`), ...(o.dns ?? []).map((d) => `DNS:${d}`), ...(o.ips ?? []).map((ip) => `IP:${ip}`)].join(',');
  writeFileSync(path.join(db, 'ca.cnf'), `
[ ca ]
default_ca = test
[ test ]
database = ${db}/index.txt
serial = ${db}/serial
new_certs_dir = ${db}
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[ any ]
commonName = supplied
[ ext ]
basicConstraints = critical,CA:${o.isCa ? 'TRUE' : 'FALSE'}
keyUsage = critical,digitalSignature,keyEncipherment${o.isCa ? ',keyCertSign' : ''}
extendedKeyUsage = serverAuth,clientAuth
${san ? `subjectAltName = ${san}` : ''}
`);
  if (o.rsa) openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', `${name}.key`], dir);
  else openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`], dir);
  openssl(['req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
  const now = Date.now();
  openssl(['ca', '-batch', '-config', path.join(db, 'ca.cnf'), '-cert', ca.certFile, '-keyfile', ca.keyFile,
    '-in', `${name}.csr`, '-out', `${name}.crt`, '-extensions', 'ext', '-notext',
    '-startdate', o.startDate ?? stamp(new Date(now - 3600_000)), '-enddate', o.endDate ?? stamp(new Date(now + 86_400_000))], dir);
  return read(dir, name);
}

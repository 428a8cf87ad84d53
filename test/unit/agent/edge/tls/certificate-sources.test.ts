// Bad certificate input → one config issue naming the YAML path (certificates made with openssl).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KongDeclarative } from '../../../../../proto/config-schema.js';
import { collectCertificates } from '../../../../../agent/edge/tls/certificate-sources.js';
import { makeRoot, signLeaf, type Pem } from '../../../../support/pki.js';

function stamp(ms: number): string { return new Date(ms).toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z'; }

describe('collectCertificates: bad input names its YAML path', function () {
  let dir: string;
  let good: Pem; let other: Pem; let expired: Pem; let future: Pem;
  before(function () {
    this.timeout(30_000);
    dir = mkdtempSync(path.join(os.tmpdir(), 'meshgate-certs-'));
    const ca = makeRoot(dir, 'ca');
    good = signLeaf(dir, ca, 'good', { uris: [], dns: ['a.test'] });
    other = signLeaf(dir, ca, 'other', { uris: [], dns: ['b.test'] });
    expired = signLeaf(dir, ca, 'expired', { uris: [], dns: ['a.test'], startDate: stamp(Date.now() - 3 * 86_400_000), endDate: stamp(Date.now() - 86_400_000) });
    future = signLeaf(dir, ca, 'future', { uris: [], dns: ['a.test'], startDate: stamp(Date.now() + 86_400_000), endDate: stamp(Date.now() + 3 * 86_400_000) });
  });
  after(function () { rmSync(dir, { recursive: true, force: true }); });

  const deck = (certificates: unknown[], extra: object = {}) => ({ _format_version: '3.0', certificates, ...extra }) as KongDeclarative;
  const cases: [string, () => KongDeclarative, string, RegExp][] = [
    ['key not matching the cert', () => deck([{ cert: good.cert, key: other.key }]), 'certificates[0].key', /does not match/],
    ['expired', () => deck([{ cert: expired.cert, key: expired.key }]), 'certificates[0].cert', /has expired/],
    ['not yet valid', () => deck([{ cert: future.cert, key: future.key }]), 'certificates[0].cert', /not valid yet/],
    ['bad PEM certificate', () => deck([{ cert: '-----BEGIN CERTIFICATE-----\nxx\n-----END CERTIFICATE-----', key: good.key }]), 'certificates[0].cert', /not a valid PEM certificate/],
    ['bad PEM key', () => deck([{ cert: good.cert, key: 'nope' }]), 'certificates[0].key', /not a valid PEM private key/],
    ['an SNI listed twice', () => deck([{ cert: good.cert, key: good.key, snis: ['a.test'] }, { cert: other.cert, key: other.key, snis: [{ name: 'A.test' }] }]), 'certificates[1].snis[0]', /already listed at certificates\[0\]\.snis\[0\]/],
    ['a top-level sni twice', () => deck([{ id: 'c1', cert: good.cert, key: good.key, snis: ['a.test'] }], { snis: [{ name: 'a.test', certificate: { id: 'c1' } }] }), 'snis[0].name', /already listed/],
    ['a top-level sni naming no certificate', () => deck([{ cert: good.cert, key: good.key }], { snis: [{ name: 'x.test', certificate: { id: 'nope' } }] }), 'snis[0].certificate.id', /no certificate has id "nope"/],
    ['refuses cert_alt, naming its path and "not supported"', () => deck([{ cert: good.cert, key: good.key, cert_alt: other.cert, key_alt: other.key }]), 'certificates[0].cert_alt', /not supported/],
    ['refuses key_alt, naming its path and "not supported"', () => deck([{ cert: good.cert, key: good.key, cert_alt: other.cert, key_alt: other.key }]), 'certificates[0].key_alt', /not supported/],
  ];
  for (const [name, doc, where, message] of cases) {
    it(name, function () {
      const { issues } = collectCertificates(doc(), undefined, []);
      assert.ok(issues.some((i) => i.path === where && message.test(i.message)), JSON.stringify(issues));
    });
  }

  it('prefixes paths inside a meshgate file, and checks edge.tls files', function () {
    const file = path.join(dir, 'bad.crt');
    writeFileSync(file, 'garbage');
    const { issues } = collectCertificates(deck([{ cert: good.cert, key: other.key }]), {
      certificates: [{ cert_file: file, key_file: good.keyFile }, { cert_file: path.join(dir, 'missing.crt'), key_file: good.keyFile }],
    }, ['edge', 'kong']);
    assert.deepEqual(issues.map((i) => i.path), ['edge.kong.certificates[0].key', 'edge.tls.certificates[0].cert_file', 'edge.tls.certificates[1].cert_file']);
    assert.match(issues[2]!.message, /cannot read .*ENOENT/);
  });

  it('accepts a good set: SNIs lower-cased, names from id, first SNI or path', function () {
    const { issues, sources } = collectCertificates(deck([{ id: 'one', cert: good.cert, key: good.key }, { cert: other.cert, key: other.key, snis: ['B.test'] }], { snis: [{ name: 'a.test', certificate: { id: 'one' } }] }), undefined, []);
    assert.deepEqual(issues, []);
    assert.deepEqual(sources.map((s) => [s.name, s.snis]), [['one', ['a.test']], ['b.test', ['b.test']]]);
  });
});

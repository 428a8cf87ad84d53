// The edge's TLS listener with real clients (openssl s_client, curl, Node's TLS client): SNI
// selection in Kong's order, the RSA + ECDSA pair, https-only routes over plain HTTP, route snis,
// certificates on disk replaced under a bounded load loop, and rejected replacements.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { makeRoot, signLeaf, type Pem } from '../support/pki.js';
import { parse, stringify } from 'yaml';
import { useHarness, waitFor, type AgentHandle, type ServiceHandle } from '../support/harness.js';

const run = promisify(execFile);

interface TlsAnswer { status: number; body: string; cn: string; fingerprint: string }

/** One request on a new TLS connection (no agent): every call is a full handshake. */
function tlsGet(port: number, sni: string, reqPath: string, ca: string): Promise<TlsAnswer> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, servername: sni, path: reqPath, ca, agent: false, headers: { host: sni }, timeout: 5000 }, (res) => {
      const peer = (res.socket as TLSSocket).getPeerCertificate();
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, cn: String(peer.subject?.CN ?? ''), fingerprint: peer.fingerprint256 }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** The CN of the certificate openssl s_client is shown for `sni` (or no SNI at all). */
async function servedCn(port: number, sni: string | null, extra: readonly string[] = []): Promise<string> {
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, ...(sni === null ? ['-noservername'] : ['-servername', sni]), ...extra];
  const child = run('openssl', args, { timeout: 10_000 });
  child.child.stdin?.end();
  const { stdout } = await child;
  const m = /subject=.*?CN\s*=\s*([^\s,/]+)/.exec(stdout);
  assert.ok(m, stdout.slice(0, 400));
  return m[1]!;
}

// Kong ids are UUIDs; a certificate with one is named by it in metrics and logs
const CERT_A_ID = '0e5a7c1e-0000-4000-8000-00000000000a';
const CERT_SUFFIX_ID = '0e5a7c1e-0000-4000-8000-00000000005f';

describe('edge TLS: certificates, SNI, https-only routes', function () {
  const harness = useHarness('edge-tls');
  let web: ServiceHandle;
  let deck: AgentHandle;
  let tlsPort: number;
  let ca: Pem;
  const certs: Record<string, Pem> = {};

  before(async function () {
    const h = harness();
    const dir = path.join(h.tmp, 'pki');
    ca = makeRoot(dir, 'edge-ca');
    certs.a = signLeaf(dir, ca, 'a', { uris: [], dns: ['a.test'] });
    certs.b = signLeaf(dir, ca, 'b', { uris: [], dns: ['*.b.test'] });
    certs.suffix = signLeaf(dir, ca, 'suffix', { uris: [], dns: ['c.test'] });
    certs.dflt = signLeaf(dir, ca, 'dflt', { uris: [], dns: ['default.test'] });
    web = await h.startService('web', 'web-1');
    tlsPort = await h.port();
    deck = await h.startDeck('deck-tls', {
      _format_version: '3.0',
      services: [{
        name: 'web', url: `http://127.0.0.1:${web.port}`, routes: [
          { name: 'secure', paths: ['/secure'], protocols: ['https'] },
          { name: 'moved', paths: ['/moved'], protocols: ['https'], https_redirect_status_code: 308 },
          { name: 'only-a', paths: ['/only-a'], snis: ['a.test'] },
          { name: 'open', paths: ['/'] },
        ],
      }],
      certificates: [
        { id: CERT_A_ID, cert: certs.a!.cert, key: certs.a!.key, snis: [{ name: 'a.test' }] },
        { cert: certs.b!.cert, key: certs.b!.key, snis: ['*.b.test'] },
        { id: CERT_SUFFIX_ID, cert: certs.suffix!.cert, key: certs.suffix!.key },
        { cert: certs.dflt!.cert, key: certs.dflt!.key, snis: [{ name: '*' }] },
      ],
      snis: [{ name: 'c.*', certificate: { id: CERT_SUFFIX_ID } }],
    }, ['--listen-tls', `127.0.0.1:${tlsPort}`]);
  });

  it('presents each SNI its certificate in Kong\'s order, and the "*" certificate otherwise (openssl s_client)', async function () {
    const cases: [string | null, string][] = [
      ['a.test', 'a'], ['x.b.test', 'b'], ['c.example', 'suffix'], ['unknown.test', 'dflt'], [null, 'dflt'],
      ['deep.x.b.test', 'dflt'], // a prefix wildcard stands for one label, as in Kong
    ];
    for (const [sni, cn] of cases) assert.equal(await servedCn(tlsPort, sni), cn, `SNI ${sni}`);
  });

  it('refuses TLS 1.1 and offers ALPN h2, then http/1.1', async function () {
    await assert.rejects(run('openssl', ['s_client', '-connect', `127.0.0.1:${tlsPort}`, '-servername', 'a.test', '-tls1_1'], { timeout: 10_000 }));
    for (const [offer, want] of [['h2,http/1.1', /ALPN protocol: h2/], ['http/1.1', /ALPN protocol: http\/1\.1/]] as const) {
      const child = run('openssl', ['s_client', '-connect', `127.0.0.1:${tlsPort}`, '-servername', 'a.test', '-alpn', offer], { timeout: 10_000 });
      child.child.stdin?.end();
      assert.match((await child).stdout, want);
    }
  });

  it('proxies over HTTPS with X-Forwarded-Proto: https (curl)', async function () {
    const { stdout } = await run('curl', ['-sS', '--cacert', ca.certFile, '--resolve', `a.test:${tlsPort}:127.0.0.1`, `https://a.test:${tlsPort}/secure/x`], { timeout: 10_000 });
    const echo = JSON.parse(stdout) as { headers: Record<string, string> };
    assert.equal(echo.headers['x-forwarded-proto'], 'https');
  });

  it('answers an https-only route over plain HTTP with 426, or the configured redirect', async function () {
    const h = harness();
    const r426 = await h.http.get(`${deck.url}/secure/x`);
    assert.equal(r426.status, 426, r426.text);
    assert.equal(r426.json<{ message: string }>().message, 'Please use HTTPS protocol');
    assert.equal(r426.headers.upgrade, 'TLS/1.2, HTTP/1.1');
    const r308 = await h.http.get(`${deck.url}/moved/y?z=1`, { headers: { host: `a.test:${deck.port}` } });
    assert.equal(r308.status, 308);
    assert.equal(r308.headers.location, 'https://a.test/moved/y?z=1');
    assert.equal((await h.http.get(`${deck.url}/plain`)).status, 200, 'routes with the default protocols still serve plain HTTP');
    assert.equal((await tlsGet(tlsPort, 'a.test', '/moved/y', ca.cert)).status, 200, 'over TLS the https-only route proxies');
  });

  it('matches route snis on the TLS server name', async function () {
    const h = harness();
    assert.equal((await tlsGet(tlsPort, 'a.test', '/only-a', ca.cert)).status, 200);
    const other = await tlsGet(tlsPort, 'x.b.test', '/only-a', ca.cert);
    assert.equal(JSON.parse(other.body).path, '/only-a', 'another SNI falls through to the catch-all route (no strip)');
    assert.equal((await h.http.get(`${deck.url}/only-a`)).status, 200);
    const routes = () => deck.accessLog().filter((l) => String(l.path).startsWith('/only-a')).map((l) => l.route);
    await waitFor(() => routes().length === 3, { timeoutMs: 3000, intervalMs: 20, what: 'three access-log lines' });
    assert.deepEqual(routes(), ['only-a', 'open', 'open']);
  });

  it('reports each certificate\'s seconds to expiry in /metrics', async function () {
    const m = await deck.metrics();
    for (const name of [CERT_A_ID, CERT_SUFFIX_ID, '*.b.test', '*']) {
      const line = m.split('\n').find((l) => l.startsWith(`meshgate_edge_certificate_expiry_seconds{certificate="${name}"}`));
      assert.ok(line, `${name}:\n${m.split('\n').filter((l) => l.includes('certificate')).join('\n')}`);
      const s = Number(line.split(' ').pop());
      assert.ok(s > 80_000 && s <= 86_400, line);
    }
  });

  it('a reload whose certificate does not match its key is rejected whole; the old config keeps serving', async function () {
    const doc = parse(readFileSync(deck.configFile, 'utf8')) as { certificates: { cert: string; key: string }[]; services: { routes: unknown[] }[] };
    doc.certificates[0]!.key = certs.b!.key;
    doc.services[0]!.routes.unshift({ name: 'new-route', paths: ['/new'] });
    writeFileSync(deck.configFile, stringify(doc));
    deck.child.signal('SIGHUP');
    await waitFor(async () => (await deck.metrics()).includes('meshgate_config_last_reload_success 0'), { timeoutMs: 10_000, intervalMs: 100, what: 'the reload to be rejected' });
    assert.ok(deck.child.output.json().some((l) => String(l.err).includes('certificates[0].key') && String(l.err).includes('does not match')));
    assert.equal(await servedCn(tlsPort, 'a.test'), 'a');
    const r = await tlsGet(tlsPort, 'a.test', '/new', ca.cert);
    assert.equal(JSON.parse(r.body).path, '/new', 'the new route did not take effect either (the catch-all served it)');
    assert.ok(!deck.accessLog().some((l) => l.route === 'new-route'));
  });

  describe('certificates on disk (edge.tls.certificates)', function () {
    let edge: AgentHandle;
    let edgeTlsPort: number;
    let certFile: string;
    let keyFile: string;

    before(async function () {
      const h = harness();
      const dir = path.join(h.tmp, 'pki');
      certFile = path.join(h.tmp, 'live.crt');
      keyFile = path.join(h.tmp, 'live.key');
      certs.old = signLeaf(dir, ca, 'live-old', { uris: [], dns: ['live.test'] });
      certs.next = signLeaf(dir, ca, 'live-new', { uris: [], dns: ['live.test'] });
      copyFileSync(certs.old.certFile, certFile);
      copyFileSync(certs.old.keyFile, keyFile);
      const [port, adminPort] = [await h.port(), await h.port()];
      edgeTlsPort = await h.port();
      const file = h.writeYaml('edge-tls-files.yaml', {
        consul: { address: h.consul.httpAddress },
        agent: { node: 'edge-files', admin: `127.0.0.1:${adminPort}`, drain_timeout: '2s' },
        edge: {
          listen: `127.0.0.1:${port}`, listen_tls: `127.0.0.1:${edgeTlsPort}`,
          tls: { certificates: [{ cert_file: certFile, key_file: keyFile, snis: ['live.test'] }] },
          kong: { _format_version: '3.0', services: [{ name: 'web', url: `http://127.0.0.1:${web.port}`, routes: [{ name: 'all', paths: ['/'] }] }] },
        },
      });
      edge = await h.startAgent('edge-files', file, { adminPort, port });
    });

    it('a certificate replaced on disk under load: new handshakes get it, no request fails', async function () {
      const before = await tlsGet(edgeTlsPort, 'live.test', '/before', ca.cert);
      assert.equal(before.cn, 'live-old');
      const failures: string[] = [];
      const seen = new Set<string>();
      let stop = false;
      // bounded: at most 2000 requests, each on a new connection, two at a time
      const loop = async () => {
        for (let i = 0; i < 1000 && !stop; i++) {
          try {
            const r = await tlsGet(edgeTlsPort, 'live.test', `/load/${i}`, ca.cert);
            if (r.status !== 200) failures.push(`status ${r.status}`);
            seen.add(r.cn);
          } catch (err) { failures.push((err as Error).message); }
        }
      };
      const loops = [loop(), loop()];
      await waitFor(() => seen.size > 0, { timeoutMs: 5000, intervalMs: 20, what: 'the load loop to run' });
      // key first, then cert: between the two the pair does not match, and the old one keeps serving
      copyFileSync(certs.next!.keyFile, keyFile);
      await new Promise((r) => setTimeout(r, 1500));
      copyFileSync(certs.next!.certFile, certFile);
      await waitFor(() => seen.has('live-new'), { timeoutMs: 10_000, intervalMs: 50, what: 'handshakes with the new certificate' });
      stop = true;
      await Promise.all(loops);
      assert.deepEqual(failures, []);
      assert.equal((await tlsGet(edgeTlsPort, 'live.test', '/after', ca.cert)).cn, 'live-new');
    });

    it('an invalid replacement is logged and counted; the running certificate keeps serving', async function () {
      const metric = async () => Number((await edge.metrics()).split('\n').find((l) => l.startsWith('meshgate_edge_certificate_reload_failures_total'))?.split(' ').pop());
      const failuresBefore = await metric();
      writeFileSync(certFile, '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n');
      await waitFor(async () => (await metric()) > failuresBefore, { timeoutMs: 10_000, intervalMs: 100, what: 'the reload failure metric' });
      assert.ok(edge.child.output.json().some((l) => l.msg === 'edge certificate reload rejected; the running certificates keep serving'
        && String(l.err).includes('edge.tls.certificates[0].cert_file') && String(l.err).includes('is not a valid PEM certificate')));
      const r = await tlsGet(edgeTlsPort, 'live.test', '/still', ca.cert);
      assert.equal(r.status, 200);
      assert.equal(r.cn, 'live-new');
    });
  });
});

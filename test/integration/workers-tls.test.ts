// HTTPS and HTTP/2 on an edge with agent.workers 2 (real processes, real clients): TLS, ALPN h2
// and h2c connections spread over both workers, a certificate replaced on disk reaches every
// worker, and a reload that changes the certificates is taken by all of them at once.
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { stringify } from 'yaml';
import { makeRoot, signLeaf, type Pem } from '../support/pki.js';
import { useHarness, waitFor, type AgentHandle, type ServiceHandle } from '../support/harness.js';

/** One request on a new TLS connection: every call is a full handshake, accepted by some worker. */
function tlsGet(port: number, reqPath: string, ca: string): Promise<{ status: number; cn: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, servername: 'a.test', path: reqPath, ca, agent: false, headers: { host: 'a.test' }, timeout: 5000 }, (res) => {
      const cn = String((res.socket as TLSSocket).getPeerCertificate().subject?.CN ?? '');
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, cn }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** One HTTP/2 request on a session of its own (a new connection): ALPN h2 over TLS, or h2c. */
function h2Get(authority: string, reqPath: string, ca?: string): Promise<{ status: number; alpn: string | false | null | undefined }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(authority, ca ? { ca, servername: 'a.test' } : {});
    session.on('error', reject);
    const req = session.request({ ':path': reqPath, ':authority': 'a.test' });
    let status = 0;
    req.on('response', (h) => { status = Number(h[':status']); });
    req.resume();
    req.on('end', () => {
      const alpn = (session.socket as TLSSocket).alpnProtocol;
      session.close();
      resolve({ status, alpn });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('workers: HTTPS and HTTP/2 served by every worker', function () {
  this.timeout(120_000);
  const harness = useHarness('workers-tls');
  let web: ServiceHandle;
  let edge: AgentHandle;
  let tlsPort: number;
  let ca: Pem;
  let certFile: string;
  let keyFile: string;
  let config: Record<string, unknown>;
  const leaves: Record<string, Pem> = {};

  before(async function () {
    const h = harness();
    const dir = path.join(h.tmp, 'pki');
    ca = makeRoot(dir, 'workers-ca');
    for (const name of ['a-old', 'a-new', 'a-reloaded']) leaves[name] = signLeaf(dir, ca, name, { uris: [], dns: ['a.test'] });
    certFile = path.join(h.tmp, 'live.crt');
    keyFile = path.join(h.tmp, 'live.key');
    copyFileSync(leaves['a-old']!.certFile, certFile);
    copyFileSync(leaves['a-old']!.keyFile, keyFile);
    web = await h.startService('web', 'web-1');
    tlsPort = await h.port();
    const [port, adminPort] = [await h.port(), await h.port()];
    config = {
      consul: { address: h.consul.httpAddress },
      agent: { node: 'edge-workers-tls', admin: `127.0.0.1:${adminPort}`, log_level: 'info', workers: 2 },
      edge: {
        listen: `127.0.0.1:${port}`, listen_tls: `127.0.0.1:${tlsPort}`, via_sidecars: false,
        tls: { certificates: [{ cert_file: certFile, key_file: keyFile, snis: ['a.test'] }] },
        http2: { h2c: true },
        kong: { _format_version: '3.0', services: [{ name: 'web', url: `http://127.0.0.1:${web.port}`, routes: [{ name: 'web', paths: ['/'] }] }] },
      },
    };
    const file = h.writeYaml('edge-workers-tls.yaml', config);
    edge = await h.startAgent('edge-workers-tls', file, { adminPort, port, waitReady: false });
    await h.waitReady(edge, 60_000);
  });

  const workerPids = async () => new Set(((await edge.status()) as unknown as { workers: { pid: number }[] }).workers.map((w) => w.pid));
  const servedBy = (prefix: string) => new Set(edge.accessLog().filter((l) => String(l.path).startsWith(prefix)).map((l) => l.pid as number));
  /** fresh connections until both workers have answered under `prefix` (bounded) */
  const untilBothServe = async (prefix: string, one: (i: number) => Promise<{ status: number }>) => {
    const pids = await workerPids();
    let i = 0;
    await waitFor(async () => {
      const r = await one(i++);
      assert.equal(r.status, 200);
      return [...pids].every((p) => servedBy(prefix).has(p));
    }, { timeoutMs: 20_000, intervalMs: 5, what: `both workers ${[...pids].join(', ')} serving ${prefix}` });
  };

  it('HTTPS connections spread over both workers, each serving the certificate', async function () {
    await untilBothServe('/tls/', async (i) => {
      const r = await tlsGet(tlsPort, `/tls/${i}`, ca.cert);
      assert.equal(r.cn, 'a-old');
      return r;
    });
  });

  it('HTTP/2 by ALPN on the TLS port, and h2c on the plain port, in both workers', async function () {
    await untilBothServe('/h2/', async (i) => {
      const r = await h2Get(`https://127.0.0.1:${tlsPort}`, `/h2/${i}`, ca.cert);
      assert.equal(r.alpn, 'h2');
      return r;
    });
    await untilBothServe('/h2c/', (i) => h2Get(edge.url, `/h2c/${i}`));
  });

  it('a certificate replaced on disk reaches every worker', async function () {
    const pids = await workerPids();
    const reloadedIn = () => new Set(edge.child.output.json().filter((l) => l.msg === 'edge certificates reloaded').map((l) => l.pid as number));
    copyFileSync(leaves['a-new']!.keyFile, keyFile);
    copyFileSync(leaves['a-new']!.certFile, certFile);
    await waitFor(() => [...pids].every((p) => reloadedIn().has(p)), { timeoutMs: 15_000, intervalMs: 50, what: 'every worker reloading its certificates' });
    const cns = [];
    for (let i = 0; i < 8; i++) cns.push((await tlsGet(tlsPort, `/after-file/${i}`, ca.cert)).cn);
    assert.deepEqual(new Set(cns), new Set(['a-new']));
    await waitFor(() => servedBy('/after-file/').size === 2, { timeoutMs: 5000, intervalMs: 20, what: 'answers from both workers' });
  });

  it('a config reload with other certificates: after it every worker serves them', async function () {
    const reloads = () => edge.child.output.json().filter((l) => l.msg === 'config reloaded').length;
    const before = reloads();
    const edgeSection = config.edge as Record<string, unknown>;
    const next = { ...config, edge: { ...edgeSection, tls: { certificates: [{ cert_file: leaves['a-reloaded']!.certFile, key_file: leaves['a-reloaded']!.keyFile, snis: ['a.test'] }] } } };
    writeFileSync(edge.configFile, stringify(next));
    edge.child.signal('SIGHUP');
    // logged once every worker has committed the new config
    await waitFor(() => reloads() > before, { timeoutMs: 20_000, intervalMs: 20, what: 'config reloaded' });
    const cns = [];
    for (let i = 0; i < 8; i++) cns.push((await tlsGet(tlsPort, `/after-reload/${i}`, ca.cert)).cn);
    assert.deepEqual(new Set(cns), new Set(['a-reloaded']));
    await waitFor(() => servedBy('/after-reload/').size === 2, { timeoutMs: 5000, intervalMs: 20, what: 'answers from both workers' });
  });
});

// The cors plugin judged by a real browser (issue 16): headless Chromium loads a page from one
// origin (a static server this test starts) and fetch()es through the edge on another origin. What
// is asserted is what Chromium itself allowed or blocked — a blocked read is a rejected fetch() in
// the page — beside what the edge's access log saw (preflights, and requests the browser never
// sent). Run by `npm run test:browser` (installs Debian's chromium when missing).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { findChromium, startChromium, type Browser, type BrowserPage } from '../support/chromium.js';
import { useHarness, waitFor, type AgentHandle } from '../support/harness.js';

interface Probe { ok: boolean; status?: number; body?: string; instance?: string | null; error?: string }
interface Echo { method: string; path: string; headers: Record<string, string> }

const PAGE = '<!doctype html><html><head><title>cors page</title></head><body>page origin</body></html>';

describe('cors in a real browser: headless Chromium, page and edge on two origins', function () {
  this.timeout(120_000);
  const harness = useHarness('cors-chromium');
  let pageServer: http.Server;
  let pageOrigin: string;
  let edge: AgentHandle;
  let browser: Browser;
  let page: BrowserPage;

  before(async function () {
    const bin = findChromium();
    if (bin === undefined) throw new Error('no chromium: run `npm run test:browser`, which installs Debian\'s chromium');
    const h = harness();
    pageServer = http.createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }); res.end(PAGE); });
    await new Promise<void>((r) => pageServer.listen(0, '127.0.0.1', r));
    pageOrigin = `http://127.0.0.1:${(pageServer.address() as AddressInfo).port}`;
    const web = await h.startService('web', 'web-1');
    const route = (name: string, cors: Record<string, unknown>) => ({ name, paths: [`/${name}`], plugins: [{ name: 'cors', config: cors }] });
    edge = await h.startEdge({
      name: 'edge-cors',
      kong: {
        _format_version: '3.0',
        services: [{
          name: 'web', url: `http://127.0.0.1:${web.port}`, routes: [
            route('open', { origins: [pageOrigin], exposed_headers: ['X-Instance'] }),
            route('cred', { origins: [pageOrigin], credentials: true, headers: ['X-Custom', 'Content-Type'], methods: ['GET', 'PUT'], max_age: 600 }),
            route('closed', { origins: ['http://allowed.example'], headers: ['X-Custom'] }),
            route('wild', { origins: ['*'], credentials: true }),
          ],
        }],
      },
    });
    browser = await startChromium(h, bin);
    page = await browser.open(`${pageOrigin}/page.html`);
    assert.equal(await page.evaluate<string>('location.origin'), pageOrigin);
  });
  after(async () => {
    await browser?.close();
    await new Promise<void>((r) => (pageServer ? pageServer.close(() => r()) : r()));
  });

  /** fetch() in the page; a CORS refusal comes back as { ok: false, error } */
  function probe(path: string, init: Record<string, unknown> = {}): Promise<Probe> {
    const url = `${edge.url}${path}`;
    return page.evaluate<Probe>(`(async () => {
      try {
        const r = await fetch(${JSON.stringify(url)}, ${JSON.stringify(init)});
        return { ok: true, status: r.status, body: await r.text(), instance: r.headers.get('x-instance') };
      } catch (e) { return { ok: false, error: String(e) }; }
    })()`);
  }

  const logged = (method: string, path: string) => edge.accessLog().filter((l) => l.method === method && l.path === path);

  it('a simple request from an allowed origin: the page reads the answer and the exposed header, and no preflight is sent', async () => {
    const r = await probe('/open/simple');
    assert.ok(r.ok, r.error);
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.body!) as Echo).path, '/simple');
    assert.equal(r.instance, 'web-1', 'X-Instance is readable because exposed_headers names it');
    await waitFor(() => logged('GET', '/open/simple').length === 1, { timeoutMs: 3000, intervalMs: 20, what: 'the GET in the access log' });
    assert.equal(logged('OPTIONS', '/open/simple').length, 0, 'a simple request has no preflight');
  });

  it('a preflighted request with credentials: the preflight passes, the cookie goes along, and the preflight is cached (max_age)', async () => {
    await page.evaluate("document.cookie = 'sid=chromium-cookie; path=/'");
    const init = { method: 'PUT', credentials: 'include', headers: { 'X-Custom': 'yes', 'Content-Type': 'application/json' }, body: '{"a":1}' };
    const r = await probe('/cred/item', init);
    assert.ok(r.ok, r.error);
    assert.equal(r.status, 200);
    const echo = JSON.parse(r.body!) as Echo;
    assert.equal(echo.method, 'PUT');
    assert.equal(echo.headers['x-custom'], 'yes');
    assert.match(echo.headers.cookie ?? '', /sid=chromium-cookie/, 'credentials: the browser sent the cookie');
    await waitFor(() => logged('PUT', '/cred/item').length === 1, { timeoutMs: 3000, intervalMs: 20, what: 'the PUT in the access log' });
    const preflights = logged('OPTIONS', '/cred/item');
    assert.equal(preflights.length, 1, 'one preflight');
    assert.equal(preflights[0]!.status, 200);
    const again = await probe('/cred/item', init);
    assert.ok(again.ok, again.error);
    await waitFor(() => logged('PUT', '/cred/item').length === 2, { timeoutMs: 3000, intervalMs: 20, what: 'the second PUT in the access log' });
    assert.equal(logged('OPTIONS', '/cred/item').length, 1, 'the browser reused its cached preflight');
  });

  it('a request without credentials does not carry the cookie', async () => {
    const r = await probe('/cred/plain', { credentials: 'omit' });
    assert.ok(r.ok, r.error);
    assert.equal((JSON.parse(r.body!) as Echo).headers.cookie, undefined);
  });

  it('an origin that is not allowed: the browser blocks the read, and never sends a request whose preflight failed', async () => {
    const simple = await probe('/closed/simple');
    assert.equal(simple.ok, false, 'the page cannot read the answer');
    assert.match(simple.error ?? '', /TypeError/);
    const preflighted = await probe('/closed/put', { method: 'PUT', headers: { 'X-Custom': 'yes' } });
    assert.equal(preflighted.ok, false);
    await waitFor(() => logged('OPTIONS', '/closed/put').length === 1, { timeoutMs: 3000, intervalMs: 20, what: 'the refused preflight in the access log' });
    assert.equal(logged('PUT', '/closed/put').length, 0, 'the browser did not send the PUT');
  });

  it('credentials are never granted through the wildcard origin (meshgate is stricter than Kong here)', async () => {
    const withCookie = await probe('/wild/x', { credentials: 'include' });
    assert.equal(withCookie.ok, false, 'a credentialed read through "*" is blocked');
    const anonymous = await probe('/wild/x');
    assert.ok(anonymous.ok, anonymous.error);
    assert.equal(anonymous.status, 200);
  });
});

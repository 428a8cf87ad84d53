// Small network helpers: free loopback ports, bounded GETs, bounded polling.
import http from 'node:http';
import net from 'node:net';

/** Reserves `n` distinct free ports on 127.0.0.1 (bind port 0, read, close). */
export async function freePorts(n) {
  const servers = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = net.createServer();
      await new Promise((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, '127.0.0.1', resolve);
      });
      servers.push(s);
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

/** GET with a hard timeout; resolves { status, body } or { status: 0, error }. Never rejects. */
export function httpGet(url, timeoutMs = 2000) {
  return new Promise((resolve) => {
    let done = false;
    const finish = (v) => { if (!done) { done = true; resolve(v); } };
    const req = http.get(url, { agent: false, timeout: timeoutMs, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { if (body.length < 65536) body += d; });
      res.on('end', () => finish({ status: res.statusCode, headers: res.headers, body }));
      res.on('error', (e) => finish({ status: 0, error: e }));
    });
    req.on('timeout', () => { req.destroy(new Error('timeout')); });
    req.on('error', (e) => finish({ status: 0, error: e }));
    setTimeout(() => { req.destroy(); finish({ status: 0, error: new Error('timeout') }); }, timeoutMs + 500).unref();
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `probe()` (async, returns truthy when ready) every `intervalMs` until it is
 * truthy, `abort()` returns a reason string, or `timeoutMs` passes.
 * Resolves { ok: true, value } or { ok: false, reason }.
 */
export async function waitFor(probe, { timeoutMs, intervalMs = 200, abort } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    const why = abort?.();
    if (why) return { ok: false, reason: why };
    try {
      last = await probe();
      if (last) return { ok: true, value: last };
    } catch (e) {
      last = e;
    }
    await sleep(intervalMs);
  }
  return { ok: false, reason: `timed out after ${timeoutMs} ms` };
}

/** Waits until GET url answers `status` (default 200). */
export function waitForStatus(url, { timeoutMs, status = 200, abort, intervalMs } = {}) {
  return waitFor(async () => {
    const r = await httpGet(url, 1500);
    return r.status === status ? r : null;
  }, { timeoutMs, abort, intervalMs });
}

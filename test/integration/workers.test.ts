// An edge with --workers 2, real processes: both workers answer, a SIGKILLed worker is replaced
// while a load loop runs, local rate limits count for the whole agent, a reload is atomic across
// workers, /status lists the workers and /metrics adds them up; a sidecar refuses workers.
import assert from 'node:assert/strict';
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { consulServiceKong, useHarness, waitFor, type AgentHandle, type ServiceHandle } from '../support/harness.js';

interface WorkerRow { index: number; pid: number; started: string; requests: number; ready: boolean }
type StatusWithWorkers = Awaited<ReturnType<AgentHandle['status']>> & { workers: WorkerRow[]; pid: number };

const workersOf = async (agent: AgentHandle) => ((await agent.status()) as StatusWithWorkers).workers;

/** One GET on a connection of its own (no keep-alive), so a failure belongs to the worker that accepted it. */
function freshGet(url: string): Promise<{ status: number; instance: string | undefined; requestId: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => {
        // the sample service echoes the headers it got: the edge's request id is among them
        let requestId: string | undefined;
        try { requestId = (JSON.parse(body) as { headers: Record<string, string> }).headers['x-request-id']; } catch { /* not an echo */ }
        resolve({ status: res.statusCode ?? 0, instance: res.headers['x-instance'] as string | undefined, requestId });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

function deck(upstreamPort: number, extraPlugins: unknown[] = []): Record<string, unknown> {
  return {
    _format_version: '3.0',
    services: [
      { name: 'web', url: 'http://web-upstream', routes: [{ name: 'web', paths: ['/web'], strip_path: true }] },
      {
        name: 'limited', url: 'http://web-upstream', routes: [{ name: 'limited', paths: ['/limited'], strip_path: true }],
        plugins: [{ name: 'rate-limiting', config: { minute: 100, policy: 'local' } }, ...extraPlugins],
      },
    ],
    upstreams: [{ name: 'web-upstream', targets: [{ target: `127.0.0.1:${upstreamPort}` }] }],
  };
}

describe('workers: one edge agent on several processes', function () {
  const harness = useHarness('workers', { consul: false });
  let web1: ServiceHandle;
  let web2: ServiceHandle;
  let edge: AgentHandle;

  before(async function () {
    const h = harness();
    [web1, web2] = await Promise.all([h.startService('web', 'web-1'), h.startService('web', 'web-2')]);
    const [port, adminPort] = [await h.port(), await h.port()];
    const file = h.writeYaml('edge-workers.yml', deck(web1.port));
    edge = await h.startAgent('edge-workers', file, { adminPort, port, waitReady: false, args: ['--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${adminPort}`, '--workers', '2'] });
    // three processes load meshgate at once: on a busy shared machine that takes longer than one
    await h.waitReady(edge, 60_000);
  });

  it('serves from both workers over many connections; /status lists them', async function () {
    const h = harness();
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => h.http.get(`${edge.url}/web/hello?i=${i}`)));
    for (const r of results) assert.equal(r.status, 200, r.text);
    const workers = await workersOf(edge);
    assert.equal(workers.length, 2, JSON.stringify(workers));
    const pids = new Set(workers.map((w) => w.pid));
    await waitFor(() => {
      const served = new Set(edge.accessLog().map((l) => l.pid as number));
      return [...pids].every((p) => served.has(p));
    }, { timeoutMs: 5000, intervalMs: 50, what: `access-log lines from both workers ${[...pids].join(', ')}` });
    assert.ok(!pids.has(edge.child.pid), 'the primary serves no request itself');
    for (const w of workers) {
      assert.ok(w.ready && Number.isFinite(Date.parse(w.started)) && typeof w.requests === 'number', JSON.stringify(w));
    }
  });

  it('local rate-limiting 100/minute lets exactly 100 of 300 requests through across workers and connections', async function () {
    const h = harness();
    const statuses: number[] = [];
    // 30 at a time over the client's pool of connections; both workers take part
    for (let batch = 0; batch < 10; batch++) {
      const rs = await Promise.all(Array.from({ length: 30 }, () => h.http.get(`${edge.url}/limited/x`)));
      statuses.push(...rs.map((r) => r.status));
    }
    assert.equal(statuses.filter((s) => s === 200).length, 100, 'exactly the limit passes for the whole agent');
    assert.equal(statuses.filter((s) => s === 429).length, 200);
    const limitedPids = new Set(edge.accessLog().filter((l) => l.route === 'limited').map((l) => l.pid));
    assert.equal(limitedPids.size, 2, 'both workers answered rate-limited requests');
  });

  it('/metrics totals are the sum of the workers\' requests in /status', async function () {
    const workers = await workersOf(edge);
    const metrics = await edge.metrics();
    const total = metrics.split('\n').filter((l) => l.startsWith('meshgate_http_requests_total{')).reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    assert.equal(total, workers.reduce((n, w) => n + w.requests, 0), metrics.split('\n').filter((l) => l.includes('requests_total')).join('\n'));
    for (const w of workers) assert.ok(metrics.includes(`meshgate_worker_requests_total{worker="${w.index}"} ${w.requests}`), `worker ${w.index} labelled`);
  });

  it('a SIGKILLed worker is replaced; a load loop fails only requests that were on it', async function () {
    this.timeout(90_000);
    // the steady state: a spare process has loaded meshgate and waits to take a worker's place
    const spare = await waitFor(async () => {
      const s = ((await edge.status()) as StatusWithWorkers & { spare_worker: { pid: number; warm: boolean } | null }).spare_worker;
      return s?.warm === true ? s : undefined;
    }, { timeoutMs: 60_000, intervalMs: 100, what: 'a warm spare worker' });
    const before = await workersOf(edge);
    const victim = before[0]!;
    const concurrency = 6;
    let failures = 0;
    let ok = 0;
    let killed = false;
    const loop = async () => {
      for (let i = 0; i < 60; i++) {
        if (i === 20 && !killed) { killed = true; process.kill(victim.pid, 'SIGKILL'); }
        try {
          const r = await freshGet(`${edge.url}/web/load`);
          if (r.status === 200) ok++; else failures++;
        } catch { failures++; }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, loop));
    // each loop has one request in flight at a time: at most that many were on the killed worker
    assert.ok(failures <= concurrency, `failed ${failures} of ${ok + failures}`);
    const after = await waitFor(async () => {
      const ws = await workersOf(edge);
      return ws.length === 2 && ws.every((w) => w.ready) && !ws.some((w) => w.pid === victim.pid) ? ws : undefined;
    }, { timeoutMs: 20_000, intervalMs: 50, what: 'a replacement worker' });
    const replacement = after.find((w) => w.index === victim.index)!;
    assert.equal(replacement.pid, spare.pid, 'the spare took the place');
    // reported, not asserted (no timing assertions): from the primary seeing the exit to the replacement listening
    const lines = edge.child.output.json();
    const exitAt = Date.parse(String(lines.find((l) => l.msg === 'worker exited; starting a new one' && l.worker_pid === victim.pid)?.time));
    const listeningAt = Date.parse(String(lines.find((l) => l.msg === 'edge listening' && l.pid === replacement.pid)?.time));
    console.log(`      (replacement pid ${replacement.pid} listening ${listeningAt - exitAt} ms after the exit was seen; ${failures} of ${ok + failures} requests failed)`);
    const survivor = after.find((w) => w.pid === before[1]!.pid);
    assert.ok(survivor, 'the other worker was not touched');
    const r = await harness().http.get(`${edge.url}/web/after`);
    assert.equal(r.status, 200);
  });

  it('a reload under load is atomic across workers; an invalid one changes nothing', async function () {
    this.timeout(90_000);
    const h = harness();
    const seen: { instance: string | undefined; requestId: string | undefined; sentAt: number }[] = [];
    let stop = false;
    const loop = async () => {
      for (let i = 0; i < 2000 && !stop; i++) {
        const sentAt = Date.now();
        const r = await freshGet(`${edge.url}/web/reload`);
        assert.equal(r.status, 200);
        seen.push({ instance: r.instance, requestId: r.requestId, sentAt });
      }
    };
    const loops = Array.from({ length: 4 }, loop);
    await waitFor(() => seen.length > 40, { timeoutMs: 20_000, intervalMs: 20, what: 'load before the reload' });
    const reloadsBefore = edge.child.output.json().filter((l) => l.msg === 'config reloaded').length;
    writeFileSync(edge.configFile, stringify(deck(web2.port)));
    edge.child.signal('SIGHUP');
    await waitFor(() => edge.child.output.json().filter((l) => l.msg === 'config reloaded').length > reloadsBefore, { timeoutMs: 20_000, intervalMs: 20, what: 'config reloaded' });
    // logged when every worker has swapped: a request sent after that is answered by the new config
    const committedAt = Date.now();
    await waitFor(() => seen.filter((s) => s.sentAt > committedAt).length > 40, { timeoutMs: 20_000, intervalMs: 20, what: 'load after the reload' });
    stop = true;
    await Promise.all(loops);
    for (const s of seen) assert.ok(s.instance === 'web-1' || s.instance === 'web-2', JSON.stringify(s));
    // each worker writes its access log in batches: wait until every answer's line is there
    await waitFor(() => {
      const logged = new Set(edge.accessLog().map((l) => l.request_id as string));
      return seen.every((s) => s.requestId === undefined || logged.has(s.requestId));
    }, { timeoutMs: 10_000, intervalMs: 50, what: 'every answer in the access log' });
    // per worker: old answers, then new ones, never old after new
    const pidOf = new Map(edge.accessLog().map((l) => [l.request_id as string, l.pid as number]));
    const lastOld = new Map<number, number>();
    const firstNew = new Map<number, number>();
    seen.forEach((s, i) => {
      const pid = pidOf.get(s.requestId ?? '');
      if (pid === undefined) return;
      if (s.instance === 'web-1') lastOld.set(pid, i); else if (!firstNew.has(pid)) firstNew.set(pid, i);
    });
    assert.equal(firstNew.size, 2, 'both workers serve the new config');
    for (const [pid, i] of firstNew) assert.ok((lastOld.get(pid) ?? -1) < i, `worker ${pid} answered from the old config after the new one`);
    const late = seen.filter((s) => s.sentAt > committedAt && s.instance !== 'web-2');
    assert.deepEqual(late, [], 'after the commit every worker runs the new config');

    // an invalid file: rejected by the primary, every worker keeps serving the running config
    writeFileSync(edge.configFile, 'services: [ {');
    edge.child.signal('SIGHUP');
    await waitFor(() => edge.child.output.json().some((l) => String(l.msg).startsWith('config reload rejected')), { timeoutMs: 20_000, intervalMs: 20, what: 'the rejection' });
    const rs = await Promise.all(Array.from({ length: 20 }, () => freshGet(`${edge.url}/web/after-invalid`)));
    for (const r of rs) assert.deepEqual([r.status, r.instance], [200, 'web-2']);
    const metrics = await edge.metrics();
    assert.match(metrics, /meshgate_config_last_reload_success 0/);
    // set by every worker's rebuild after the reload: the agent's pool has 1 endpoint, not 1 per worker
    const poolSize = metrics.split('\n').find((l) => l.startsWith('meshgate_pool_endpoints{') && l.includes('web-upstream') && l.includes('state="total"'));
    assert.ok(poolSize?.endsWith(' 1'), `a pool size is not added up over workers: ${poolSize}`);
    writeFileSync(edge.configFile, stringify(deck(web2.port)));
    void h;
  });

  it('SIGTERM drains every worker and the primary exits 0', async function () {
    const workers = await workersOf(edge);
    await edge.child.stop(15_000);
    assert.equal(edge.child.exit?.code, 0, edge.child.output.tail(20));
    for (const w of workers) assert.ok(edge.child.output.json().some((l) => l.pid === w.pid && l.msg === 'worker stopped'), `worker ${w.pid} drained`);
    for (const w of workers) assert.throws(() => process.kill(w.pid, 0), 'the worker is gone');
  });
});

describe('workers: refused where they cannot act', function () {
  const harness = useHarness('workers-refused', { consul: false });

  it('a sidecar with agent.workers > 1, or --workers 2, is a config error naming the path (exit 2)', async function () {
    const h = harness();
    const sidecar = { sidecar: { listen: '127.0.0.1:0', services: [{ name: 's', port: 1, check: { ttl: '10s' } }] } };
    const withWorkers = h.writeYaml('sidecar-workers.yaml', { ...sidecar, agent: { workers: 2 } });
    const validate = h.spawn('validate', process.execPath, ['bin/meshgate.js', 'validate', withWorkers]);
    await waitFor(() => validate.exit !== undefined, { timeoutMs: 20_000, what: 'validate to exit' });
    assert.equal(validate.exit?.code, 2);
    assert.match(validate.output.text(), /agent\.workers/);
    const plain = h.writeYaml('sidecar.yaml', sidecar);
    const run = h.spawn('agent', process.execPath, ['bin/meshgate.js', 'agent', '--config', plain, '--workers', '2']);
    await waitFor(() => run.exit !== undefined, { timeoutMs: 20_000, what: 'the agent to refuse' });
    assert.equal(run.exit?.code, 2);
    assert.match(run.output.text(), /--workers: must be 1 for an agent with a sidecar section \(agent\.workers\)/);
  });
});

describe('workers: Consul pools and mesh certificates come from the primary', function () {
  const harness = useHarness('workers-consul');
  let users1: ServiceHandle;
  let users2: ServiceHandle;
  let edge: AgentHandle;
  let single: AgentHandle;

  before(async function () {
    const h = harness();
    [users1, users2] = await Promise.all([h.startService('users', 'users-1'), h.startService('users', 'users-2')]);
    await Promise.all([h.startSidecar({ service: users1 }), h.startSidecar({ service: users2 })]);
    [edge, single] = await Promise.all([
      h.startEdge({ name: 'edge-workers', kong: consulServiceKong('users', '/users'), agent: { workers: 2 } }),
      h.startEdge({ name: 'edge-single', kong: consulServiceKong('users', '/users') }),
    ]);
    await Promise.all([h.waitForPool(edge, 'consul:users', ['users-1', 'users-2']), h.waitForPool(single, 'consul:users', ['users-1', 'users-2'])]);
  });

  it('both workers reach both instances over mTLS, and a health change reaches every worker', async function () {
    const h = harness();
    const instances = new Set<string>();
    const rs = await Promise.all(Array.from({ length: 40 }, () => h.http.get(`${edge.url}/users/1`)));
    for (const r of rs) { assert.equal(r.status, 200, r.text); instances.add(String(r.headers['x-instance'])); }
    assert.deepEqual([...instances].sort(), ['users-1', 'users-2']);
    const pids = new Set((await workersOf(edge)).map((w) => w.pid));
    await waitFor(() => new Set(edge.accessLog().filter((l) => l.route === 'users').map((l) => l.pid)).size === 2, { timeoutMs: 5000, intervalMs: 50, what: 'both workers routing' });
    assert.ok([...new Set(edge.accessLog().map((l) => l.pid as number))].every((p) => pids.has(p)));
    await users2.setHealth('fail');
    // every worker's table drops users-2: fresh connections spread over both workers
    await waitFor(async () => {
      const answers = await Promise.all(Array.from({ length: 20 }, () => freshGet(`${edge.url}/users/after`)));
      return answers.every((a) => a.status === 200 && a.instance === 'users-1');
    }, { timeoutMs: 20_000, intervalMs: 100, what: 'users-2 gone from every worker' });
    await users2.setHealth('pass');
  });

  it('keeps as many blocking queries at Consul as a one-process edge (one set of watchers per agent)', async function () {
    const blocking = async (a: AgentHandle) => Number((await a.metrics()).split('\n').find((l) => l.startsWith('meshgate_consul_blocking_queries '))?.split(' ')[1]);
    const [two, one] = await waitFor(async () => {
      const pair = [await blocking(edge), await blocking(single)] as const;
      return pair[0] === pair[1] && pair[0] > 0 ? pair : undefined;
    }, { timeoutMs: 15_000, intervalMs: 200, what: 'equal blocking query counts' });
    assert.equal(two, one);
    const status = (await edge.status()) as StatusWithWorkers;
    assert.deepEqual(status.watchers.map((w) => w.name), ['connect/users'], 'the primary\'s one watcher for the service');
  });
});

import assert from 'node:assert/strict';
import { createAccessLog, loggablePath } from '../../../../agent/observe/access-log.js';

describe('loggablePath', () => {
  const ROWS: readonly [string, string][] = [
    ['/a/b', '/a/b'],
    ['/a?x=1&y=2', '/a?x=1&y=2'],
    ['/a?apikey=s3cret&x=1', '/a?apikey=[redacted]&x=1'],
    ['/a?x=1&jwt=eyJ.a.b', '/a?x=1&jwt=[redacted]'],
    ['/a?ACCESS_TOKEN=t', '/a?ACCESS_TOKEN=[redacted]'],
    ['/a?api%5Fkey=t', '/a?api%5Fkey=[redacted]'],
    ['/a?token', '/a?token'],
    ['/a?tokens=1', '/a?tokens=1'],
  ];
  for (const [input, want] of ROWS) it(`${input} → ${want}`, () => assert.equal(loggablePath(input), want));
});

describe('access log lines', () => {
  function capture(bindings: Record<string, unknown>): { log: ReturnType<typeof createAccessLog>; text: () => string } {
    let out = '';
    const log = createAccessLog((b, n) => { out += b.subarray(0, n).toString('utf8'); }, true, bindings);
    return { log, text: () => { log.flush(); return out; } };
  }

  const entry = {
    method: 'GET', path: '/a/b?x="1"&y=caf\u00e9', route: 'r1', service: 'users', endpoint: '10.0.0.7:8080', status: 200, bytes: 109,
    upstream_ms: 14.0937, total_ms: 16.1, request_id: '4c8eea396305-1z', client_ip: '127.0.0.1', attempts: 1,
  };

  it('are the JSON pino writes (same fields, same order, same number forms; times rounded to hundredths), one per line', () => {
    const c = capture({ pid: 42, node: 'n\u00f6de', role: 'edge', component: 'access' });
    c.log.write(entry);
    c.log.write({ ...entry, status: 502, upstream_ms: -1, total_ms: 0.004, error: 'MG_CONNECT_FAILED', consumer: 'alice\n' });
    const lines = c.text().split('\n');
    assert.equal(lines.length, 3);
    assert.equal(lines[2], '');
    const first = JSON.parse(lines[0]!) as { time: number };
    assert.equal(lines[0], JSON.stringify({ level: 30, time: first.time, pid: 42, node: 'n\u00f6de', role: 'edge', component: 'access', ...entry, upstream_ms: 14.09, msg: 'request' }));
    assert.ok(Math.abs(first.time - Date.now()) < 60_000);
    const second = JSON.parse(lines[1]!) as { time: number };
    assert.equal(lines[1], JSON.stringify({
      level: 30, time: second.time, pid: 42, node: 'n\u00f6de', role: 'edge', component: 'access',
      ...entry, status: 502, upstream_ms: -1, total_ms: 0, error: 'MG_CONNECT_FAILED', consumer: 'alice\n', msg: 'request',
    }));
  });

  it('a child adds its bindings after the parent\'s', () => {
    const c = capture({ pid: 1 });
    c.log.child({ role: 'sidecar' }).write(entry);
    const line = JSON.parse(c.text()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(line).slice(0, 4), ['level', 'time', 'pid', 'role']);
  });
});

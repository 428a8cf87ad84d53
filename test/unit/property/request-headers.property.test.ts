// Property tests (fast-check, bounded runs) of the client → upstream header filter
// (agent/proxy/request-headers.ts with the edge's strict-request filter): whatever the client sends,
// no hop-by-hop field, no field its Connection header names, no dropped (underscored, rewriting) field
// is forwarded, and the gateway's own X-Forwarded-* / X-Real-IP / X-Request-Id are there once each.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { compileRequestRules } from '../../../agent/edge/strict-request.js';
import { buildUpstreamHeaders } from '../../../agent/proxy/request-headers.js';
import { TrustedProxies } from '../../../agent/proxy/trusted-proxies.js';
import { HOP_BY_HOP } from '../../../proto/headers.js';

const NAMES = [
  'Connection', 'connection', 'Keep-Alive', 'TE', 'Trailer', 'Transfer-Encoding', 'Upgrade', 'Proxy-Connection', 'Proxy-Authorization',
  'X-Forwarded-For', 'X-Real-IP', 'X-Request-Id', 'X-Forwarded-Host', 'X-Forwarded-Proto', 'Host',
  'X-Custom', 'x-other', 'Accept', 'Transfer_Encoding', 'X_Api_Key', 'X-Original-URL', 'X-HTTP-Method-Override', 'X-Envoy-Internal', 'X-Forwarded-Prefix',
];
const NAME = fc.constantFrom(...NAMES);
const TOKEN = fc.constantFrom(...NAMES.map((n) => n.toLowerCase()), 'close', 'keep-alive', '');
const FIELD = fc.oneof(
  fc.tuple(NAME, fc.constantFrom('1', 'v', 'a, b')),
  fc.tuple(fc.constant('Connection'), fc.array(TOKEN, { maxLength: 4 }).map((t) => t.join(', '))),
);

function fakeReq(raw: string[]): IncomingMessage {
  const headers: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!.toLowerCase();
    headers[k] = headers[k] === undefined ? raw[i + 1]! : `${headers[k]}, ${raw[i + 1]!}`;
  }
  return { rawHeaders: raw, headers, socket: { remoteAddress: '203.0.113.9' } } as unknown as IncomingMessage;
}

const GATEWAY_SET = new Set(['host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-real-ip', 'x-request-id']);

describe('upstream request headers (properties)', () => {
  const filter = compileRequestRules(undefined).filter;
  const trusted = new TrustedProxies([]);

  it('never forwards a hop-by-hop, Connection-named, underscored or rewriting field; sets its own once', () => {
    fc.assert(fc.property(fc.array(FIELD, { maxLength: 12 }), (fields) => {
      const raw = fields.flat();
      const req = fakeReq(raw);
      const nominated = new Set((req.headers.connection ?? '').split(',').map((t) => t.trim().toLowerCase()).filter((t) => t !== ''));
      const { headers } = buildUpstreamHeaders(req, { hostHeader: null, requestId: 'r-1', proto: 'http', localPort: 8000, trusted, filter, authority: 'a.example' });
      const names = headers.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
      for (const n of names) {
        assert.ok(!HOP_BY_HOP.has(n), `hop-by-hop ${n} forwarded`);
        assert.ok(GATEWAY_SET.has(n) || !nominated.has(n), `${n} is named by Connection`);
        assert.ok(!n.includes('_') && n !== 'x-original-url' && n !== 'x-http-method-override' && !n.startsWith('x-envoy-') && n !== 'x-forwarded-prefix', `${n} forwarded`);
      }
      for (const own of GATEWAY_SET) assert.equal(names.filter((n) => n === own).length, 1, own);
      // an untrusted peer's X-Forwarded-For is replaced, not extended
      assert.equal(headers[names.indexOf('x-forwarded-for') * 2 + 1], '203.0.113.9');
      return true;
    }), { numRuns: 300 });
  });
});

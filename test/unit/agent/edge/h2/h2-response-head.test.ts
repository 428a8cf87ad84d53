import assert from 'node:assert/strict';
import { h2ResponseHead } from '../../../../../agent/edge/h2/h2-response-head.js';

describe('h2ResponseHead: an HTTP/1.1-shaped head as HTTP/2 HEADERS', function () {
  const rows: [string, unknown, Record<string, unknown> | null, Record<string, unknown>][] = [
    ['lower-cases names and keeps values', ['Content-Type', 'text/plain', 'X-A', '1'], null, { ':status': 200, 'content-type': 'text/plain', 'x-a': '1' }],
    ['keeps a repeated name as a list, in order', ['set-cookie', 'a=1', 'Set-Cookie', 'b=2', 'set-cookie', 'c=3'], null, { ':status': 200, 'set-cookie': ['a=1', 'b=2', 'c=3'] }],
    ['drops connection-specific fields (RFC 9113 §8.2.2)', ['Connection', 'keep-alive', 'Keep-Alive', 'timeout=5', 'transfer-encoding', 'chunked', 'proxy-connection', 'close', 'upgrade', 'h2c', 'x', 'y'], null, { ':status': 200, x: 'y' }],
    ['keeps te-like names that are not connection-specific', ['trailer', 'grpc-status', 'x-upgrade', 'no'], null, { ':status': 200, trailer: 'grpc-status', 'x-upgrade': 'no' }],
    ['takes an object head', { 'Content-Length': '2', Connection: 'close', 'x-list': ['a', 'b'] }, null, { ':status': 200, 'content-length': '2', 'x-list': ['a', 'b'] }],
    ['adds preset headers the answer does not name', ['x-a', '1'], { 'x-trace': 't', 'x-a': 'preset' }, { ':status': 200, 'x-a': '1', 'x-trace': 't' }],
    ['a head without headers is the status and the presets', undefined, { 'x-trace': 't' }, { ':status': 200, 'x-trace': 't' }],
  ];
  for (const [name, headers, preset, want] of rows) {
    it(name, function () { assert.deepEqual({ ...h2ResponseHead(200, headers, preset as never) }, want); });
  }
});

import assert from 'node:assert/strict';
import { withoutConnectionHeaders } from '../../../../../agent/edge/h2/h2-compat.js';

describe('withoutConnectionHeaders: HTTP/1.1-shaped answers made valid for HTTP/2 (RFC 9113 §8.2.2)', function () {
  const rows: [string, string[], string[]][] = [
    ['keeps ordinary headers and their order', ['content-type', 'a', 'x-a', '1', 'x-a', '2'], ['content-type', 'a', 'x-a', '1', 'x-a', '2']],
    ['drops a relayed Connection and Keep-Alive', ['Connection', 'keep-alive', 'Keep-Alive', 'timeout=5', 'x', 'y'], ['x', 'y']],
    ['drops the 426 answer\'s Upgrade pair', ['connection', 'Upgrade', 'upgrade', 'TLS/1.2, HTTP/1.1', 'content-length', '9'], ['content-length', '9']],
    ['drops Transfer-Encoding and Proxy-Connection', ['transfer-encoding', 'chunked', 'proxy-connection', 'close'], []],
    ['keeps te-like names that are not connection-specific', ['trailer', 'grpc-status', 'x-upgrade', 'no'], ['trailer', 'grpc-status', 'x-upgrade', 'no']],
  ];
  for (const [name, input, want] of rows) it(name, function () { assert.deepEqual(withoutConnectionHeaders([...input]), want); });
});

import assert from 'node:assert/strict';
import { parseHostPort } from '../../../../agent/config/host-port.js';

describe('parseHostPort', () => {
  const ROWS: readonly [string, string, number][] = [
    ['127.0.0.1:8080', '127.0.0.1', 8080],
    ['0.0.0.0:8000', '0.0.0.0', 8000],
    ['localhost:1', 'localhost', 1],
    ['my-host.local:65535', 'my-host.local', 65535],
    ['[::1]:9901', '::1', 9901],
    ['[::]:80', '::', 80],
    ['[fe80::1:2]:443', 'fe80::1:2', 443],
  ];
  for (const [text, host, port] of ROWS) {
    it(`${text} → ${host} ${port}`, () => assert.deepEqual(parseHostPort(text), { host, port }));
  }
});

import assert from 'node:assert/strict';
import { webSocketAccept } from '../../../../../agent/edge/h2/h2-websocket.js';

describe('webSocketAccept: the Sec-WebSocket-Accept the edge expects for the key it made (RFC 6455 §4.2.2)', function () {
  it("is RFC 6455 §1.3's example", function () {
    assert.equal(webSocketAccept('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });
});

import assert from 'node:assert/strict';
import { encodeGrpcMessage, isGrpcRequest, parseGrpcTimeoutMs } from '../../../../agent/proxy/grpc-wire.js';

describe('gRPC wire details', () => {
  const TIMEOUTS: readonly [string | undefined, number | undefined][] = [
    ['1S', 1000], ['250m', 250], ['2M', 120_000], ['1H', 3_600_000], ['1500u', 2], ['10n', 1], ['99999999m', 99_999_999],
    [undefined, undefined], ['', undefined], ['S', undefined], ['10', undefined], ['10x', undefined], ['-1S', undefined], ['123456789S', undefined], ['1.5S', undefined],
  ];
  for (const [value, want] of TIMEOUTS) it(`grpc-timeout ${JSON.stringify(value)} → ${want}`, () => assert.equal(parseGrpcTimeoutMs(value), want));

  const KINDS: readonly [string, string | undefined, boolean][] = [
    ['2.0', 'application/grpc', true], ['2.0', 'application/grpc+proto', true], ['2.0', 'application/grpc;charset=utf-8', true],
    ['2.0', 'application/grpc-web', false], ['2.0', 'application/grpcx', false], ['1.1', 'application/grpc', false], ['2.0', undefined, false], ['2.0', 'application/json', false],
  ];
  for (const [version, ct, want] of KINDS) {
    it(`HTTP/${version} ${ct ?? '(no content-type)'} is ${want ? '' : 'not '}a gRPC call`, () => {
      assert.equal(isGrpcRequest({ httpVersion: version, headers: ct === undefined ? {} : { 'content-type': ct } }), want);
    });
  }

  const MESSAGES: readonly [string, string][] = [
    ['No API key found in request', 'No API key found in request'], ['100% done', '100%25 done'], ['café', 'caf%C3%A9'], ['a\nb', 'a%0Ab'],
  ];
  for (const [message, want] of MESSAGES) it(`grpc-message ${JSON.stringify(message)} → ${want}`, () => assert.equal(encodeGrpcMessage(message), want));
});

import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { Base64DecodeStream, Base64Encoder, decodeBase64Run, grpcWebMode, isGrpcWebJson, trailersFrame } from '../../../../agent/proxy/grpc-web-wire.js';

const frame = (payload: string): Buffer => {
  const p = Buffer.from(payload);
  const f = Buffer.alloc(5 + p.length);
  f.writeUInt32BE(p.length, 1);
  p.copy(f, 5);
  return f;
};

describe('gRPC-Web wire format', () => {
  const MODES: readonly [string | undefined, string | undefined, boolean | undefined][] = [
    ['application/grpc-web', 'application/grpc-web', false], ['application/grpc-web+proto', 'application/grpc-web+proto', false],
    ['application/grpc-web-text', 'application/grpc-web-text', true], ['application/grpc-web-text+proto', 'application/grpc-web-text+proto', true],
    ['Application/GRPC-Web+proto; charset=utf-8', 'application/grpc-web+proto', false],
    ['application/grpc-web+json', undefined, undefined], ['application/grpc', undefined, undefined], ['application/json', undefined, undefined], [undefined, undefined, undefined],
  ];
  for (const [ct, type, text] of MODES) {
    it(`content type ${ct ?? '(none)'} → ${type === undefined ? 'not translated' : `${type}${text ? ' (base64)' : ''}`}`, () => {
      const m = grpcWebMode(ct);
      assert.deepEqual(m === undefined ? undefined : [m.contentType, m.text], type === undefined ? undefined : [type, text]);
    });
  }

  it('the JSON variants are recognised as such (they need a .proto)', () => {
    assert.equal(isGrpcWebJson('application/grpc-web+json'), true);
    assert.equal(isGrpcWebJson('application/grpc-web-text+json; charset=utf-8'), true);
    assert.equal(isGrpcWebJson('application/grpc-web'), false);
  });

  it('the trailers frame: flag 0x80, the length, then lowercase "name:value\\r\\n" for every value', () => {
    const f = trailersFrame({ 'grpc-status': '3', 'Grpc-Message': 'bad%20thing', 'x-multi': ['a', 'b'], ':status': '200' });
    const block = 'grpc-status:3\r\ngrpc-message:bad%20thing\r\nx-multi:a\r\nx-multi:b\r\n';
    assert.equal(f[0], 0x80);
    assert.equal(f.readUInt32BE(1), block.length);
    assert.equal(f.subarray(5).toString(), block);
  });

  it('base64 encoding across chunk boundaries equals the encoding of the whole body', () => {
    const body = Buffer.concat([frame('a'), frame('bbbb'), frame('cc')]);
    for (const cuts of [[1], [2, 3], [5, 6, 7, 13], [4, 8, 9, 10]]) {
      const enc = new Base64Encoder();
      let out = '';
      let at = 0;
      for (const cut of cuts) { out += enc.push(body.subarray(at, cut)); at = cut; }
      out += enc.push(body.subarray(at, body.length - 2));
      out += enc.end(body.subarray(body.length - 2));
      assert.equal(out, body.toString('base64'), `cuts ${cuts.join(',')}`);
    }
  });

  it('base64 decoding: separately padded messages decode whole, an incomplete group waits, whitespace is skipped', () => {
    // 7 and 8 bytes: each one's base64 ends in padding
    const a = frame('bb').toString('base64');
    const b = frame('ccc').toString('base64');
    assert.ok(a.endsWith('=') && b.endsWith('='), 'both messages are padded');
    const whole = decodeBase64Run(a + b);
    assert.deepEqual(whole.bytes, Buffer.concat([frame('bb'), frame('ccc')]));
    assert.equal(whole.rest, '');
    const part = decodeBase64Run(`${a}${b.slice(0, 5)}`);
    assert.deepEqual(part.bytes, Buffer.concat([frame('bb'), Buffer.from(b.slice(0, 4), 'base64')]));
    assert.equal(part.rest, b.slice(4, 5));
    assert.deepEqual(decodeBase64Run(`${a.slice(0, 4)}\r\n${a.slice(4)}`).bytes, frame('bb'));
  });

  it('the decoding stream turns a text body cut anywhere into the binary frames', async () => {
    const binary = Buffer.concat([frame('a'), frame('bb'), frame('ccc')]);
    const text = Buffer.from([frame('a'), frame('bb'), frame('ccc')].map((f) => f.toString('base64')).join(''));
    for (const size of [1, 3, 4, 7, text.length]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < text.length; i += size) chunks.push(text.subarray(i, i + size));
      const out: Buffer[] = [];
      for await (const c of Readable.from(chunks).pipe(new Base64DecodeStream())) out.push(c as Buffer);
      assert.deepEqual(Buffer.concat(out), binary, `chunks of ${size}`);
    }
  });
});

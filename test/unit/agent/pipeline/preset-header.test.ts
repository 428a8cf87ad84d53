import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { presetHeader, PresetHeaderResponse } from '../../../../agent/pipeline/preset-header.js';

type Answer = (res: http.ServerResponse) => void;

/** One request to a loopback server whose responses are PresetHeaderResponse; `answer` writes it. */
async function answered(answer: Answer, preset = true): Promise<{ status: number; message: string; raw: string[] }> {
  const server = http.createServer({ ServerResponse: PresetHeaderResponse }, (_req, res) => {
    if (preset) presetHeader(res, 'X-Trace-Id', 'abc');
    answer(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, message: res.statusMessage!, raw: res.rawHeaders }));
      }).on('error', reject);
    });
  } finally {
    server.close();
  }
}

const all = (raw: string[], name: string) => raw.flatMap((k, i) => (i % 2 === 0 && k.toLowerCase() === name ? [raw[i + 1]!] : []));

describe('PresetHeaderResponse (a header given before the answer joins its head)', () => {
  it('adds the header to a flat header list, without changing the caller\'s list', async () => {
    const list = ['content-type', 'text/plain', 'content-length', '2'];
    const r = await answered((res) => { res.writeHead(201, list); res.end('ok'); });
    assert.equal(r.status, 201);
    assert.deepEqual(all(r.raw, 'x-trace-id'), ['abc']);
    assert.deepEqual(all(r.raw, 'content-type'), ['text/plain']);
    assert.deepEqual(list, ['content-type', 'text/plain', 'content-length', '2'], 'the list passed in is not modified');
  });

  it('lets a header of the same name in the list win, as setHeader does', async () => {
    const r = await answered((res) => { res.writeHead(200, ['X-Trace-Id', 'upstream']); res.end(); });
    assert.deepEqual(all(r.raw, 'x-trace-id'), ['upstream']);
  });

  it('keeps a reason phrase given with the list', async () => {
    const r = await answered((res) => { res.writeHead(299, 'Custom', ['content-length', '0']); res.end(); });
    assert.equal(r.status, 299);
    assert.equal(r.message, 'Custom');
    assert.deepEqual(all(r.raw, 'x-trace-id'), ['abc']);
  });

  it('works with an object of headers and with an implicit head (end without writeHead)', async () => {
    const obj = await answered((res) => { res.writeHead(200, { 'content-length': '0' }); res.end(); });
    assert.deepEqual(all(obj.raw, 'x-trace-id'), ['abc']);
    const implicit = await answered((res) => { res.statusCode = 404; res.end('gone'); });
    assert.equal(implicit.status, 404);
    assert.deepEqual(all(implicit.raw, 'x-trace-id'), ['abc']);
  });

  it('adds nothing when no header was preset, and falls back to setHeader on other responses', async () => {
    const none = await answered((res) => { res.writeHead(200, ['content-length', '0']); res.end(); }, false);
    assert.deepEqual(all(none.raw, 'x-trace-id'), []);
    const plain = { set: [] as string[], setHeader(n: string, v: string) { this.set.push(n, v); } };
    presetHeader(plain as never, 'X-Trace-Id', 'abc');
    assert.deepEqual(plain.set, ['X-Trace-Id', 'abc']);
  });
});

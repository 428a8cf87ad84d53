import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTokenSource } from '../../../registrar/token-source.js';

describe('createTokenSource', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'meshgate-token-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => { const f = path.join(dir, name); writeFileSync(f, text); return f; };

  const ROWS: readonly [string, () => Parameters<typeof createTokenSource>[0], string | undefined, string][] = [
    ['config token first', () => ({ token: 'a', tokenFile: file('t1', 'b'), env: { CONSUL_HTTP_TOKEN: 'c' } }), 'a', 'config'],
    ['then the token file (trimmed)', () => ({ tokenFile: file('t2', ' b\n'), env: { CONSUL_HTTP_TOKEN: 'c' } }), 'b', 'file'],
    ['then CONSUL_HTTP_TOKEN_FILE', () => ({ env: { CONSUL_HTTP_TOKEN_FILE: file('t3', 'd'), CONSUL_HTTP_TOKEN: 'c' } }), 'd', 'file'],
    ['then CONSUL_HTTP_TOKEN', () => ({ env: { CONSUL_HTTP_TOKEN: 'c' } }), 'c', 'env'],
    ['else anonymous', () => ({ env: {} }), undefined, 'none'],
    ['an empty file is anonymous', () => ({ tokenFile: file('t4', '\n'), env: {} }), undefined, 'file'],
  ];
  for (const [name, opts, token, origin] of ROWS) {
    it(name, () => {
      const s = createTokenSource(opts());
      try { assert.equal(s.current(), token); assert.equal(s.origin, origin); } finally { s.close(); }
    });
  }

  it('a missing token file throws at start', () => assert.throws(() => createTokenSource({ tokenFile: path.join(dir, 'nope'), env: {} }), /ENOENT/));

  it('refresh() picks up a rotated file and notifies once; a failed read keeps the last token', () => {
    const f = file('rot', 'old');
    const errors: string[] = [];
    const s = createTokenSource({ tokenFile: f, env: {}, onFileError: (e) => errors.push(e.message) });
    let changes = 0;
    s.onChange(() => changes++);
    try {
      writeFileSync(f, 'new\n');
      s.refresh();
      s.refresh();
      assert.equal(s.current(), 'new');
      assert.equal(changes, 1);
      rmSync(f);
      s.refresh();
      assert.equal(s.current(), 'new');
      assert.equal(errors.length, 1);
    } finally { s.close(); }
  });
});

// The README's error table and proto/errors.ts are one table: codes, statuses, messages and the
// retry flags must agree (a code added to one and not the other fails here).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERRORS, type ErrorCode } from '../../../proto/errors.js';
import { GRPC_STATUS_OF } from '../../../proto/grpc-status.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

function readmeErrorRows(): Map<string, { status: number; message: string; retried: string; grpc: number }> {
  const text = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
  const start = text.indexOf('| code | status | message |');
  assert.ok(start >= 0, 'README has the error table');
  const rows = new Map<string, { status: number; message: string; retried: string; grpc: number }>();
  for (const line of text.slice(start).split('\n').slice(2)) {
    if (!line.startsWith('|')) break;
    const [code, status, message, retried, grpc] = line.split('|').slice(1, -1).map((c) => c.trim());
    rows.set(code!, { status: Number(status), message: message!, retried: retried!, grpc: Number(grpc) });
  }
  return rows;
}

describe('README error table', () => {
  const rows = readmeErrorRows();

  it('lists exactly the codes of proto/errors.ts', () => {
    assert.deepEqual([...rows.keys()].sort(), Object.keys(ERRORS).sort());
  });

  for (const code of Object.keys(ERRORS) as ErrorCode[]) {
    it(`${code}: status, message and retry flag as in proto/errors.ts`, () => {
      const row = rows.get(code);
      assert.ok(row, code);
      const spec = ERRORS[code];
      assert.equal(row.status, spec.status);
      // a code that is never an answer (MG_CLIENT_CLOSED) is explained in parentheses instead
      if (!row.message.startsWith('(logged only')) assert.equal(row.message, spec.message);
      assert.equal(row.retried, spec.retryable ? 'yes' : spec.idempotentRetry ? 'idempotent' : 'no');
      assert.equal(row.grpc, GRPC_STATUS_OF[code], 'the gRPC status a gRPC client gets');
    });
  }
});

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { fdSink, PIPE_BUF, wholeLines } from '../../../../agent/observe/log.js';

// A FIFO opened non-blocking at both ends, the reader in this process: the test decides when the
// "log collector" reads, so a full pipe (EAGAIN) is produced on purpose, not by timing.
describe('fdSink', () => {
  let dir: string;
  let reader: number;
  let writer: number;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-fdsink-'));
    const fifo = path.join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    writer = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  });

  afterEach(() => {
    fs.closeSync(writer);
    fs.closeSync(reader);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** every byte the pipe holds now */
  function drain(): Buffer {
    const parts: Buffer[] = [];
    const buf = Buffer.alloc(65536);
    for (;;) {
      try {
        const n = fs.readSync(reader, buf, 0, buf.length, null);
        if (n === 0) break;
        parts.push(Buffer.from(buf.subarray(0, n)));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') break;
        throw err;
      }
    }
    return Buffer.concat(parts);
  }

  it('writes a batch whole when the pipe has room', () => {
    const line = Buffer.from('{"msg":"request"}\n');
    fdSink(writer)(line, line.length);
    assert.deepEqual(drain(), line);
  });

  it('a pipe nobody reads: returns, drops what does not fit, and is usable again once read', () => {
    const big = Buffer.alloc(4 * 1024 * 1024, 0x61); // far more than a pipe holds (64 KiB on Linux)
    fdSink(writer)(big, big.length); // must come back (the reader never reads during the call)
    const got = drain();
    assert.ok(got.length > 0 && got.length < big.length, `the pipe took ${got.length} of ${big.length} bytes`);
    assert.ok(got.every((b) => b === 0x61));
    // nothing of the dropped rest is queued: after the read the pipe is empty, and a new batch goes through
    assert.equal(drain().length, 0);
    const next = Buffer.from('next\n');
    fdSink(writer)(next, next.length);
    assert.deepEqual(drain(), next);
  });

  it('a reader that keeps reading gets every byte, however many times the pipe fills', async () => {
    // the reader: a thread that reads whatever is there until the writer has returned and the pipe is empty
    const total = 8 * 1024 * 1024; // 128 pipefuls: more full-pipe waits than the ~100 allowed in a row
    const flag = new SharedArrayBuffer(4);
    const worker = new Worker(`
      const fs = require('node:fs');
      const { workerData, parentPort } = require('node:worker_threads');
      const buf = Buffer.alloc(65536);
      const pause = new Int32Array(new SharedArrayBuffer(4));
      const writerDone = new Int32Array(workerData.flag);
      let got = 0, bad = 0;
      for (;;) {
        const last = Atomics.load(writerDone, 0) === 1; // read once more after the writer returned
        let n = 0;
        try { n = fs.readSync(workerData.fd, buf, 0, buf.length, null); } catch (e) { if (e.code !== 'EAGAIN') throw e; }
        for (let i = 0; i < n; i++) if (buf[i] !== 0x62) bad++;
        got += n;
        if (n === 0 && last) break;
        if (n === 0) Atomics.wait(pause, 0, 0, 0.2);
      }
      parentPort.postMessage({ got, bad });
    `, { eval: true, workerData: { fd: reader, flag } });
    const done = new Promise<{ got: number; bad: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await new Promise((r) => worker.once('online', r));
    fdSink(writer)(Buffer.alloc(total, 0x62), total);
    Atomics.store(new Int32Array(flag), 0, 1);
    assert.deepEqual(await done, { got: total, bad: 0 });
    await worker.terminate();
  });

  it('honours the length: writes only the first `length` bytes of the buffer', () => {
    const buf = Buffer.from('keep|drop');
    fdSink(writer)(buf, 4);
    assert.equal(drain().toString(), 'keep');
  });
});

describe('log lines of several workers on one stdout', () => {
  it('are written in pieces of at most PIPE_BUF bytes that end at a line end', () => {
    const writes: string[] = [];
    const sink = wholeLines((b, n) => writes.push(b.subarray(0, n).toString()));
    const line = (i: number) => `${JSON.stringify({ i, pad: 'x'.repeat(90) })}\n`;
    const text = Array.from({ length: 200 }, (_, i) => line(i)).join('');
    const bytes = Buffer.from(text + 'tail');
    sink(bytes, bytes.length - 4);
    assert.equal(writes.join(''), text);
    for (const w of writes) {
      assert.ok(Buffer.byteLength(w) <= PIPE_BUF, String(Buffer.byteLength(w)));
      assert.ok(w.endsWith('\n'));
    }
    assert.ok(writes.length > 1);
  });

  it('a line longer than PIPE_BUF still goes out whole, in pieces', () => {
    const writes: Buffer[] = [];
    const long = Buffer.from(`${'y'.repeat(PIPE_BUF * 2 + 10)}\n`);
    wholeLines((b, n) => writes.push(Buffer.from(b.subarray(0, n))))(long, long.length);
    assert.equal(Buffer.concat(writes).toString(), long.toString());
  });
});

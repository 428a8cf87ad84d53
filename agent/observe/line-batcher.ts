// Log lines written as bytes straight into one reusable buffer and handed over in batches.
//
// Measured in a running edge (200 connections): building each access line as a template string
// cost ~3.5 µs per request (a rope of ~30 pieces, numbers and JSON quoting through the runtime,
// then flattened and UTF-8 encoded), three times what the same code costs in a micro-benchmark.
// Here the fixed pieces, integers and the usual strings (printable ASCII) are copied byte by byte
// into the buffer, allocating nothing; anything else goes through JSON.stringify, as before.
// With the old and the new edge loaded at once on one core, the new one served 1.06x the
// requests at 200 connections (median of 6 rounds, 1.04-1.08) and 1.08x at 50.

/** Where batched bytes go: one synchronous write of `bytes[0, length)`. */
export type ByteSink = (bytes: Buffer, length: number) => void;

/** Measured on this machine's disk: a write of 8 KiB costs ~6 µs, of 32 KiB ~10 µs (what nginx's
 * `access_log … buffer=` does, bounded in time by the 100 ms timer below). */
export const BATCH_BYTES = 32 * 1024;
const BUFFER_BYTES = 64 * 1024;

export class LineBatcher {
  readonly #buf = Buffer.allocUnsafe(BUFFER_BYTES);
  #len = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(private readonly sink: ByteSink) {
    this.#timer = setInterval(() => this.flush(), 100);
    this.#timer.unref();
  }

  /** Whole lines, newline included (any text). */
  add(lines: string): void {
    this.text(lines);
    if (this.#len >= BATCH_BYTES) this.flush();
  }

  /** Text known to be printable ASCII (field names, fixed JSON pieces): copied as is. */
  ascii(s: string): void {
    const n = s.length;
    if (this.#len + n > BUFFER_BYTES) { this.text(s); return; }
    const buf = this.#buf;
    let at = this.#len;
    for (let i = 0; i < n; i++) buf[at++] = s.charCodeAt(i);
    this.#len = at;
  }

  /** A JSON string literal, as JSON.stringify writes it. */
  jsonString(s: string): void {
    const n = s.length;
    if (this.#len + n + 2 > BUFFER_BYTES) { this.text(JSON.stringify(s)); return; }
    const buf = this.#buf;
    let at = this.#len;
    buf[at++] = 0x22;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      // printable ASCII other than " and \ needs no escape and is one UTF-8 byte
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) { this.text(JSON.stringify(s)); return; }
      buf[at++] = c;
    }
    buf[at++] = 0x22;
    this.#len = at;
  }

  /** A JSON number: integers digit by digit, other values as JavaScript prints them. */
  number(x: number): void {
    if (!Number.isSafeInteger(x)) { this.text(String(x)); return; }
    if (this.#len + 17 > BUFFER_BYTES) this.flush();
    const buf = this.#buf;
    let at = this.#len;
    let v = x;
    if (v < 0) { buf[at++] = 0x2d; v = -v; }
    let digits = 1;
    for (let p = 10; p <= v; p *= 10) digits++;
    for (let i = at + digits - 1; i >= at; i--) {
      buf[i] = 0x30 + (v % 10);
      v = Math.floor(v / 10);
    }
    this.#len = at + digits;
  }

  /**
   * Milliseconds rounded to hundredths, printed as JavaScript prints the rounded number
   * (`14.09`, `14.1`, `14`, `-1`).
   */
  hundredths(ms: number): void {
    const h = Math.round(ms * 100);
    if (!Number.isSafeInteger(h)) { this.text(String(Math.round(ms * 100) / 100)); return; }
    const negative = h < 0;
    const a = negative ? -h : h;
    const whole = Math.floor(a / 100);
    const frac = a % 100;
    if (negative && a !== 0) this.ascii('-');
    this.number(whole);
    if (frac === 0) return;
    if (this.#len + 3 > BUFFER_BYTES) this.flush();
    const buf = this.#buf;
    buf[this.#len++] = 0x2e;
    buf[this.#len++] = 0x30 + Math.floor(frac / 10);
    if (frac % 10 !== 0) buf[this.#len++] = 0x30 + (frac % 10);
  }

  /** Ends the current line; hands the batch over once it is large enough. */
  endLine(): void {
    if (this.#len + 1 > BUFFER_BYTES) this.flush();
    this.#buf[this.#len++] = 0x0a;
    if (this.#len >= BATCH_BYTES) this.flush();
  }

  flush(): void {
    if (this.#len === 0) return;
    const len = this.#len;
    this.#len = 0;
    this.sink(this.#buf, len);
  }

  close(): void {
    clearInterval(this.#timer);
    this.flush();
  }

  /**
   * Any text, UTF-8 encoded. A line may be handed over in more than one write: writes are
   * synchronous and in order, so it still reaches the destination whole.
   */
  text(s: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 unit
    const most = s.length * 3;
    if (this.#len + most > BUFFER_BYTES) {
      this.flush();
      if (most > BUFFER_BYTES) { const b = Buffer.from(s); this.sink(b, b.length); return; }
    }
    this.#len += this.#buf.write(s, this.#len);
  }
}

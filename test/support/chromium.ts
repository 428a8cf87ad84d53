// A real headless Chromium (Debian's `chromium`) driven over the Chrome DevTools Protocol with the
// `ws` package: one browser process started through the harness (tracked, ended by its pid), a page
// opened at a URL, and expressions evaluated in that page (awaited, returned by value). What a
// page's fetch() sees is what the browser itself allowed: a CORS failure is a rejected promise.
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import type { Harness } from './harness.js';
import type { ChildHandle } from './proc.js';
import { GiveUp, waitFor } from './wait.js';

/** CHROMIUM_BIN, else `chromium` (Debian) or `chromium-browser` on PATH; undefined when there is none. */
export function findChromium(): string | undefined {
  const candidates = [process.env.CHROMIUM_BIN, ...['chromium', 'chromium-browser'].flatMap((n) => (process.env.PATH ?? '').split(':').map((d) => path.join(d, n)))];
  for (const c of candidates) {
    if (!c) continue;
    try { accessSync(c, constants.X_OK); return c; } catch { /* next */ }
  }
  return undefined;
}

interface Pending { resolve: (v: unknown) => void; reject: (e: Error) => void }

/** One DevTools WebSocket: commands by id, flat sessions (Target.attachToTarget flatten). */
class CdpConnection {
  readonly #ws: WebSocket;
  readonly #pending = new Map<number, Pending>();
  #next = 0;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
      if (msg.id === undefined) return; // events: not needed here
      const p = this.#pending.get(msg.id);
      if (p === undefined) return;
      this.#pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`CDP: ${msg.error.message}`)); else p.resolve(msg.result);
    });
    ws.on('close', () => { for (const p of this.#pending.values()) p.reject(new Error('CDP connection closed')); this.#pending.clear(); });
  }

  static open(url: string): Promise<CdpConnection> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      ws.once('open', () => resolve(new CdpConnection(ws)));
      ws.once('error', reject);
    });
  }

  send<T>(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<T> {
    const id = ++this.#next;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  }

  close(): void { this.#ws.close(); }
}

export interface BrowserPage {
  /** Evaluates `expression` in the page (a promise is awaited) and returns its value. */
  evaluate<T>(expression: string): Promise<T>;
}

export interface Browser {
  readonly child: ChildHandle;
  open(url: string): Promise<BrowserPage>;
  close(): Promise<void>;
}

/** Starts headless Chromium with its own profile under the harness's temp dir. */
export async function startChromium(h: Harness, bin: string): Promise<Browser> {
  const args = [
    '--headless=new', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check',
    '--disable-extensions', '--disable-background-networking', '--disable-component-update', '--disable-sync',
    `--user-data-dir=${path.join(h.tmp, 'chromium-profile')}`, '--remote-debugging-address=127.0.0.1', '--remote-debugging-port=0',
    // the sandbox needs user namespaces or setuid helpers a root test run does not have
    ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
    'about:blank',
  ];
  const child = h.spawn('chromium', bin, args);
  const wsUrl = await waitFor(() => {
    if (!child.alive()) throw new GiveUp(`chromium exited: ${child.output.tail(20)}`);
    for (const l of child.output.lines) {
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(l.text);
      if (m) return m[1];
    }
    return undefined;
  }, { timeoutMs: 30_000, intervalMs: 50, what: 'chromium to print its DevTools endpoint' });
  const cdp = await CdpConnection.open(wsUrl!);
  return {
    child,
    async open(url) {
      const { targetId } = await cdp.send<{ targetId: string }>('Target.createTarget', { url });
      const { sessionId } = await cdp.send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true });
      const evaluate = async <T>(expression: string): Promise<T> => {
        const r = await cdp.send<{ result: { value?: unknown }; exceptionDetails?: { text: string; exception?: { description?: string } } }>(
          'Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, sessionId);
        if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
        return r.result.value as T;
      };
      await waitFor(async () => (await evaluate<string>('document.readyState')) === 'complete' && (await evaluate<string>('location.href')) === url,
        { timeoutMs: 15_000, intervalMs: 50, what: `the page ${url} to load` });
      return { evaluate };
    },
    async close() {
      try { await Promise.race([cdp.send('Browser.close'), new Promise((r) => setTimeout(r, 2000))]); } catch { /* already closing */ }
      cdp.close();
      await child.stop(5000);
    },
  };
}

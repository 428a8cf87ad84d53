// Where the Consul ACL token comes from: the config (`consul.token`, often ${CONSUL_HTTP_TOKEN}),
// a file (`consul.token_file`, e.g. written by Vault Agent or a Kubernetes secret), or the
// environment (CONSUL_HTTP_TOKEN, CONSUL_HTTP_TOKEN_FILE) — Consul's own CLI conventions. A file is
// re-read when it changes (polled each second) and when Consul refuses a request, so a rotated
// token is used without a restart. Consumers read current() per request and never log it.
import { readFileSync, unwatchFile, watchFile } from 'node:fs';

export interface TokenSource {
  /** the token to send now; undefined: anonymous */
  current(): string | undefined;
  /** 'config' | 'file' | 'env' | 'none', for logs (never the token) */
  readonly origin: string;
  /** called after the token changed */
  onChange(listener: () => void): void;
  /** re-read a token file now (after a 403: the token may have been rotated) */
  refresh(): void;
  close(): void;
}

export interface TokenSourceOptions {
  readonly token?: string;
  readonly tokenFile?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly pollMs?: number;
  /** a token file could not be read (the last token stays in use) */
  readonly onFileError?: (err: Error) => void;
}

function readToken(file: string): string | undefined {
  const t = readFileSync(file, 'utf8').trim();
  return t === '' ? undefined : t;
}

class StaticTokenSource implements TokenSource {
  constructor(readonly origin: string, readonly token: string | undefined) {}
  current(): string | undefined { return this.token; }
  onChange(): void { /* never changes */ }
  refresh(): void { /* nothing to re-read */ }
  close(): void { /* nothing held */ }
}

class FileTokenSource implements TokenSource {
  readonly origin = 'file';
  readonly #file: string;
  readonly #listeners: (() => void)[] = [];
  readonly #onError: ((err: Error) => void) | undefined;
  readonly #poll = () => this.refresh();
  #token: string | undefined;

  /** throws when the file cannot be read at start: that is a configuration error */
  constructor(file: string, pollMs: number, onError?: (err: Error) => void) {
    this.#file = file;
    this.#onError = onError;
    this.#token = readToken(file);
    watchFile(file, { interval: pollMs, persistent: false }, this.#poll);
  }

  current(): string | undefined { return this.#token; }
  onChange(listener: () => void): void { this.#listeners.push(listener); }

  refresh(): void {
    let next: string | undefined;
    try { next = readToken(this.#file); } catch (err) { this.#onError?.(err as Error); return; }
    if (next === this.#token) return;
    this.#token = next;
    for (const l of this.#listeners) l();
  }

  close(): void { unwatchFile(this.#file, this.#poll); }
}

export function createTokenSource(o: TokenSourceOptions): TokenSource {
  const env = o.env ?? process.env;
  if (o.token) return new StaticTokenSource('config', o.token);
  const file = o.tokenFile ?? (env.CONSUL_HTTP_TOKEN_FILE || undefined);
  if (file) return new FileTokenSource(file, o.pollMs ?? 1000, o.onFileError);
  if (env.CONSUL_HTTP_TOKEN) return new StaticTokenSource('env', env.CONSUL_HTTP_TOKEN);
  return new StaticTokenSource('none', undefined);
}

// What the container tier's checks share: a JSON GET that refuses answers from outside the engine,
// and a bounded wait.
import assert from 'node:assert/strict';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function json(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  // Anything on the machine's default route answers with 404 `server: keryx`: only our JSON counts.
  assert.notEqual(res.headers.get('server'), 'keryx', `${url} reached something outside the engine`);
  return { status: res.status, body: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text };
}

/** polls fn once a second until it returns something truthy, at most `tries` times */
export async function until(what, fn, tries = 90) {
  let last;
  for (let i = 0; i < tries; i++) {
    try { const v = await fn(); if (v) return v; } catch (err) { last = err; }
    await sleep(1000);
  }
  throw new Error(`timed out waiting for ${what}: ${last?.message ?? 'condition false'}`);
}

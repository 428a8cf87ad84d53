import { randomBytes } from 'node:crypto';

/** Unique per process and cheap: a random prefix fixed at start plus a counter. */
export function createRequestIdSource(): () => string {
  const prefix = randomBytes(6).toString('hex');
  let n = 0;
  return () => `${prefix}-${(n++).toString(36)}`;
}

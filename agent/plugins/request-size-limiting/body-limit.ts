// Reading a body that has no declared length, up to a limit, without losing the connection the
// refusal must go out on: ctx.readBody(limit) destroys the request when the limit is crossed,
// so the client would see a reset instead of a 413.
import type { RequestContext } from '../context.js';

/**
 * The whole client body if it is at most `limitBytes`, else null. Past the limit it stops
 * reading (what was read stays bounded by the limit plus one chunk); the rest of the body is
 * never read, so the answer must close the connection (Connection: close).
 */
export function readBodyWithin(ctx: RequestContext, limitBytes: number): Promise<Buffer | null> {
  if (ctx.bodyWasRead) return ctx.readBody().then((body) => (body.length > limitBytes ? null : body));
  return new Promise((resolve, reject) => {
    const req = ctx.req;
    let seen = 0;
    const count = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen <= limitBytes) return;
      req.off('data', count);
      req.pause();
      ctx.abandonBodyRead();
      resolve(null);
    };
    // attached before readBody's own listener, so each chunk is counted before it is kept
    req.on('data', count);
    ctx.readBody(Number.POSITIVE_INFINITY).then((body) => { req.off('data', count); resolve(body); }, reject);
  });
}

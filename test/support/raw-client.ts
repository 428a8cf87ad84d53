// Raw bytes to a listener and what came back: the response text and whether the server closed
// the connection. A response framed by Content-Length or chunked counts as complete; then a short
// grace tells a close that follows it from a connection kept open.
import net from 'node:net';

export interface RawReply {
  readonly text: string;
  readonly status: number;
  /** the response head, lower-cased names: value (the last one of a name) */
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly closed: boolean;
}

const GRACE_MS = 150;

export function rawExchange(port: number, bytes: string | Buffer, timeoutMs = 5000): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(bytes));
    let text = '';
    let settled = false;
    let grace: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(grace);
      s.destroy();
      resolve(parse(text, closed));
    };
    const timer = setTimeout(() => (text === '' ? (settled = true, s.destroy(), reject(new Error(`no answer on ${port} in ${timeoutMs} ms`))) : finish(false)), timeoutMs);
    s.on('data', (c: Buffer) => {
      text += c.toString('latin1');
      if (grace === undefined && complete(text)) grace = setTimeout(() => finish(false), GRACE_MS);
    });
    s.on('end', () => finish(true));
    s.on('close', () => finish(true));
    s.on('error', () => finish(true));
  });
}

function complete(text: string): boolean {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const head = text.slice(0, end).toLowerCase();
  const body = text.slice(end + 4);
  const cl = /\r\ncontent-length:\s*(\d+)/.exec(head);
  if (cl) return Buffer.byteLength(body, 'latin1') >= Number(cl[1]);
  if (/\r\ntransfer-encoding:\s*chunked/.test(head)) return body.endsWith('0\r\n\r\n');
  return false;
}

function parse(text: string, closed: boolean): RawReply {
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { text, status: Number(statusLine.split(' ')[1] ?? 0), headers, body: end < 0 ? '' : text.slice(end + 4), closed };
}

/** "HOST:PORT" (HOST may be [v6]) → parts. The schema has checked the shape. */
export function parseHostPort(text: string): { host: string; port: number } {
  const i = text.lastIndexOf(':');
  let host = text.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port: Number(text.slice(i + 1)) };
}

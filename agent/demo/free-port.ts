import net from 'node:net';

function listenOnAny(host: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => resolve(s));
  });
}

/** A port that was free a moment ago on host (the kernel picks it). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return (await freePorts(1, host))[0]!;
}

/**
 * `n` distinct ports that were free a moment ago, none of them in `exclude`. All are held open
 * until the last is picked: one at a time, the kernel may hand out a port it just gave back
 * (two of Consul's ports once came out equal and the agent refused to start).
 */
export async function freePorts(n: number, host = '127.0.0.1', exclude: readonly number[] = []): Promise<number[]> {
  const held: net.Server[] = [];
  const ports: number[] = [];
  try {
    for (let tries = 0; ports.length < n; tries++) {
      if (tries > n + 50) throw new Error(`no ${n} free ports on ${host}`);
      const s = await listenOnAny(host);
      held.push(s);
      const { port } = s.address() as net.AddressInfo;
      if (!exclude.includes(port)) ports.push(port);
    }
    return ports;
  } finally {
    await Promise.all(held.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

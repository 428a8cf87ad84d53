// More descriptors of one listening socket, so a busy event loop accepts a burst of connections
// quickly. libuv (>= 1.45, Node 20) accepts one connection per listening handle per loop turn;
// under load a turn takes milliseconds (every ready connection is served in it), so 200 new
// clients waited up to a second for their first answer. K handles on the same socket accept up
// to K per turn. Node 20 has no SO_REUSEPORT; a descriptor is duplicated by sending the handle
// to a short-lived helper process that sends it back (SCM_RIGHTS), which is what cluster does.
import { fork } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./listen-mirror-child.js', import.meta.url));
const MIRROR_TIMEOUT_MS = 5000;

/**
 * `count` extra net.Servers listening on the same socket as `server`, each handing its accepted
 * connections to `onConnection`. Resolves with fewer (possibly none) if the helper fails.
 */
export async function mirrorListener(server: net.Server, count: number, onConnection: (s: net.Socket) => void): Promise<net.Server[]> {
  const handle = (server as unknown as { _handle?: object | null })._handle;
  if (count <= 0 || handle == null) return [];
  const child = fork(CHILD, [], { execArgv: [], stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  const mirrors: net.Server[] = [];
  // resolved once the helper has exited: until then its copies keep the socket open, so closing
  // ours would not yet refuse new connections
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), MIRROR_TIMEOUT_MS);
    const finish = () => { clearTimeout(timer); resolve(); };
    child.on('message', (_m, raw) => {
      if (raw === undefined) return;
      const mirror = net.createServer(onConnection);
      mirror.on('error', () => { /* a mirror that fails only lowers the accept rate */ });
      mirror.listen(raw as never);
      mirrors.push(mirror);
    });
    child.once('exit', finish);
    child.once('error', finish);
    for (let i = 0; i < count; i++) child.send({ last: i === count - 1 }, handle as never);
  });
  return mirrors;
}

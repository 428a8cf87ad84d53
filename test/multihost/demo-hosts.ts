// `npm run demo:hosts`: the multi-host topology for a user to look at. Prints what it started and
// the edge URL (reachable from the root namespace); Ctrl-C tears everything down. Needs root.
import { Topology, HOSTS } from './topology.js';

const topo = new Topology();
const log = (l: string) => process.stdout.write(`demo:hosts: ${l}\n`);
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  log('stopping…');
  void topo.stop().then(() => process.exit(0), () => { topo.cleanupNow(); process.exit(1); });
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

try {
  await topo.start(log);
} catch (err) {
  process.stderr.write(`demo:hosts: ${(err as Error).message}\n`);
  process.exit(1);
}
process.stdout.write(`
  meshgate multi-host demo is up (network namespaces mgc-*, addresses 10.231.0.0/24).

  Consul servers:  c1 ${HOSTS.c1}  c2 ${HOSTS.c2}  c3 ${HOSTS.c3}   (Raft quorum; leader: ${await topo.leader()})
  Service hosts:   s1 ${HOSTS.s1}  s2 ${HOSTS.s2}   each: Consul client, users ×2, a sidecar per instance
  Edge host:       e1 ${HOSTS.e1}   Consul client, meshgate edge
  Edge (public):   ${topo.edgeUrl}
  Consul UI:       ${topo.consulUi}
  Configs, logs:   ${topo.dir}

  Try:  curl ${topo.edgeUrl}/api/v1/users/1     (x-instance says which host answered)
        sudo ip netns exec mgc-s1 ss -tnp       (the edge's mTLS connections from ${HOSTS.e1})

  Ctrl-C stops everything and removes the namespaces.
`);

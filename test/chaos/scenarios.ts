// The fault scenarios of test:chaos, each run on a healthy topology under load. A scenario returns
// `recovered_s`: for a host fault the time from the fault until the last request that was still
// affected by it (failed, or slowed past the edge's per-try timeout by an attempt at that host)
// started — i.e. until no new request reached the dead or cut-off host; for a Consul fault the time
// from Consul being back until every registration is passing again.
import type { Sample } from './load-loop.js';
import { CONSUL_SERVERS, HOSTS, SERVICE_HOSTS, type HostName, type Topology } from '../multihost/topology.js';

export interface ScenarioRun { readonly recoveredS: number | null; readonly notes: string[] }
export type Scenario = (t: Topology) => Promise<(samples: readonly Sample[]) => ScenarioRun>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PER_TRY_TIMEOUT_MS = 1000;
const allPassing = (t: Topology) => async () => (await t.passing('users')).length === t.instances.length;

function lastAffected(samples: readonly Sample[], from: number, to: number): number {
  let last = from;
  for (const s of samples) if (s.startedAt >= from && s.startedAt <= to && (!s.ok || s.ms >= PER_TRY_TIMEOUT_MS)) last = Math.max(last, s.startedAt);
  return (last - from) / 1000;
}

const FAULTED: HostName = 's1';

/** A fault on s1, held 12 s, then healed; recovered_s is when the last request it affected started. */
function faultAndHeal(fault: (t: Topology) => void, heal: (t: Topology) => unknown, healedLabel: string): Scenario {
  return async (t) => {
    await sleep(3000);
    const at = Date.now();
    fault(t);
    await sleep(12_000);
    const healedAt = Date.now();
    await heal(t);
    await t.waitFor(healedLabel, 60_000, allPassing(t));
    await sleep(3000);
    return (s) => ({ recoveredS: lastAffected(s, at, healedAt), notes: [] });
  };
}

/** the datacenter of the instance that answers a GET through the edge ('' when none did) */
async function answeringDatacenter(t: Topology): Promise<string> {
  const r = await fetch(`${t.edgeUrl}/api/v1/users/dc`, { signal: AbortSignal.timeout(2000) });
  await r.arrayBuffer();
  if (r.status !== 200) return '';
  return r.headers.get('x-instance') === t.remote.id ? 'dc2' : 'dc1';
}

/**
 * Both dc1 service hosts die at once (every users instance in dc1, with the hosts' Consul agents):
 * the edge fails over to dc2's instance once dc1's servers no longer list a passing one, and comes
 * back to dc1 when the hosts are restarted. recovered_s: from the kill until the last request it
 * affected started.
 */
async function datacenterFailover(t: Topology): Promise<(samples: readonly Sample[]) => ScenarioRun> {
  await sleep(3000);
  const at = Date.now();
  for (const h of SERVICE_HOSTS) t.killHost(h);
  const failedOver = await t.waitFor('dc2 serving', 60_000, async () => (await answeringDatacenter(t)) === 'dc2');
  await sleep(5000);
  const healAt = Date.now();
  for (const h of SERVICE_HOSTS) await t.restartHost(h);
  await t.waitFor('dc1 all passing', 60_000, allPassing(t));
  const back = await t.waitFor('dc1 serving again', 30_000, async () => (await answeringDatacenter(t)) === 'dc1');
  await sleep(3000);
  return (s) => ({
    recoveredS: lastAffected(s, at, healAt),
    notes: [`dc2 serving ${failedOver.toFixed(1)} s after both dc1 service hosts died; dc1 again ${back.toFixed(1)} s after all passing`],
  });
}

export const SCENARIOS: Record<string, Scenario> = {
  'host-kill': faultAndHeal((t) => t.killHost(FAULTED), (t) => t.restartHost(FAULTED), 's1 back'),
  'host-partition': faultAndHeal((t) => t.setLink(FAULTED, false), (t) => t.setLink(FAULTED, true), 's1 passing after the heal'),
  'rolling-restart': async (t) => {
    await sleep(2000);
    const started = Date.now();
    for (const i of t.instances) {
      await i.sidecar?.stop('SIGTERM');
      await i.service?.stop('SIGTERM');
      t.startInstance(i);
      await t.waitFor(`${i.id} passing again`, 60_000, async () => (await t.passing('users')).includes(i.id));
    }
    await sleep(2000);
    return () => ({ recoveredS: null, notes: [`all ${t.instances.length} restarted in ${((Date.now() - started) / 1000).toFixed(1)} s`] });
  },
  'consul-leader-kill': async (t) => {
    await sleep(2000);
    const leader = (await t.leader()) as HostName;
    t.consul.get(leader)?.kill('SIGKILL');
    await t.consul.get(leader)?.exited;
    const at = Date.now();
    const elected = await t.waitFor('a new leader', 60_000, async () => { const l = await t.leader(); return l !== '' && l !== leader; });
    t.startConsul(leader);
    await t.waitFor('all passing', 60_000, allPassing(t));
    await sleep(3000);
    return () => ({ recoveredS: elected, notes: [`killed leader ${leader}; new leader after ${elected.toFixed(1)} s (${((Date.now() - at) / 1000).toFixed(0)} s total)`] });
  },
  'consul-agent-lost-state': async (t) => {
    await sleep(2000);
    const agent = t.consul.get(FAULTED)!;
    agent.kill('SIGKILL');
    await agent.exited;
    t.startConsul(FAULTED, { wipe: true });
    // measured from the restart, on the agent's own state (the servers' catalog still shows the old
    // registrations for a while): every instance and sidecar of s1 registered again, checks passing
    const ids = t.instances.filter((i) => i.host === FAULTED).flatMap((i) => [i.id, `${i.id}-sidecar-proxy`]);
    const recovered = await t.waitFor('registrations restored on the wiped agent', 60_000, async () => {
      const r = await fetch(`http://${HOSTS[FAULTED]}:8500/v1/agent/checks`, { signal: AbortSignal.timeout(1000) });
      const checks = Object.values((await r.json()) as Record<string, { ServiceID: string; Status: string }>);
      return ids.every((id) => checks.some((c) => c.ServiceID === id) && checks.filter((c) => c.ServiceID === id).every((c) => c.Status === 'passing'));
    });
    await t.waitFor('all passing', 60_000, allPassing(t));
    await sleep(3000);
    return () => ({ recoveredS: recovered, notes: ['s1 client agent restarted with its data dir wiped'] });
  },
  'datacenter-failover': datacenterFailover,
  'consul-down': async (t) => {
    await sleep(3000);
    for (const s of CONSUL_SERVERS) t.consul.get(s)?.kill('SIGKILL');
    await Promise.all(CONSUL_SERVERS.map((s) => t.consul.get(s)?.exited));
    await sleep(60_000);
    for (const s of CONSUL_SERVERS) t.startConsul(s);
    const recovered = await t.waitFor('leader and all passing after the servers are back', 120_000, async () => (await t.leader()) !== '' && (await allPassing(t)()));
    await sleep(3000);
    return () => ({ recoveredS: recovered, notes: ['all 3 servers down for 60 s (SIGKILL), then started with their data'] });
  },
};

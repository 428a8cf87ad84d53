// Consul agent configuration for the multi-host topology: three servers forming a Raft quorum and
// one client agent per service/edge host in dc1, plus dc2's one server, WAN-joined; every one with
// Connect on (the built-in CA issues the mesh certificates). Pure: returns the JSON Consul reads with -config-file.
export interface ConsulAgentSpec {
  readonly node: string;
  readonly address: string;
  readonly server: boolean;
  readonly servers: readonly string[];
  readonly dataDir: string;
  /** the UI on one server, reachable from the root namespace */
  readonly ui?: boolean;
  /** default dc1 (the primary); another datacenter's server joins the primary's servers over the WAN */
  readonly datacenter?: string;
  readonly wanJoin?: readonly string[];
}

export function consulAgentConfig(s: ConsulAgentSpec): Record<string, unknown> {
  return {
    node_name: s.node,
    datacenter: s.datacenter ?? 'dc1',
    // dc1's Connect CA is the root; another datacenter's CA is an intermediate signed by it
    primary_datacenter: 'dc1',
    ...(s.wanJoin ? { retry_join_wan: s.wanJoin } : {}),
    data_dir: s.dataDir,
    bind_addr: s.address,
    // meshgate asks its own host's agent on loopback; the host address serves the UI and lets the
    // chaos tier read an agent's local state from the root namespace (inside 10.231.0.0/16 only)
    client_addr: `127.0.0.1 ${s.address}`,
    server: s.server,
    ...(s.server ? { bootstrap_expect: s.servers.length } : {}),
    retry_join: s.servers.filter((a) => a !== s.address),
    retry_interval: '1s',
    connect: { enabled: true },
    ui: s.ui === true,
    ports: { dns: -1, grpc: -1 },
    // the LAN here is a bridge with no loss: the fastest Raft timing Consul allows
    performance: { raft_multiplier: 1 },
    leave_on_terminate: false,
    disable_update_check: true,
    log_level: 'info',
  };
}

// meshgate configs for the multi-host topology (pure). Each agent talks to its own host's Consul
// client agent on loopback; sidecars listen on their host's address, instances on its loopback.
export interface InstanceSpec { readonly id: string; readonly host: string; readonly hostAddress: string; readonly port: number; readonly meshPort: number; readonly adminPort: number }

export function multihostSidecarConfig(i: InstanceSpec): string {
  return `consul:
  address: "http://127.0.0.1:8500"
agent:
  node: ${i.host}-${i.id}
  admin: "127.0.0.1:${i.adminPort}"
  drain_timeout: 5s
sidecar:
  listen: "${i.hostAddress}:${i.meshPort}"
  services:
    - name: users
      id: ${i.id}
      address: 127.0.0.1
      port: ${i.port}
      check: { http: "http://127.0.0.1:${i.port}/health", interval: 1s, timeout: 1s }
`;
}

/**
 * The edge: idempotent requests retried on another instance when a connection fails or resets, or
 * when no response header arrives within per_try_timeout (a partitioned host answers nothing).
 * With no passing users instance in dc1, dc2's serves (consul.failover_datacenters).
 */
export function multihostEdgeConfig(listen: string, adminPort: number): string {
  return `consul:
  address: "http://127.0.0.1:8500"
  failover_datacenters: [dc2]
agent:
  node: edge
  admin: "127.0.0.1:${adminPort}"
edge:
  listen: "${listen}"
  kong:
    _format_version: "3.0"
    services:
      - name: users
        url: http://users.service.consul
        retries: 5
        connect_timeout: 1000
        per_try_timeout: 1000
        read_timeout: 10000
        routes:
          - name: users-api
            paths: ["/api/v1/users"]
            strip_path: false
`;
}

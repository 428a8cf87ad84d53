// The demo's config files, written to .demo/ so they can be read and edited.

export function demoSidecarConfig(o: { consulAddress: string; name: string; id: string; port: number; meshPort: number; adminPort: number; ordersPort?: number }): string {
  const upstreams = o.ordersPort ? `  upstreams:
    - { service: orders, listen: "127.0.0.1:${o.ordersPort}" }
` : '';
  return `# sidecar for ${o.id} (written by meshgate demo)
consul:
  address: "${o.consulAddress}"
agent:
  node: sidecar-${o.id}
  admin: "127.0.0.1:${o.adminPort}"
  drain_timeout: 5s
sidecar:
  listen: "127.0.0.1:${o.meshPort}"
  services:
    - name: ${o.name}
      id: ${o.id}
      address: 127.0.0.1
      port: ${o.port}
      tags: [demo]
      meta: { version: "1" }
      check: { http: "http://127.0.0.1:${o.port}/health", interval: 1s, timeout: 1s }
${upstreams}`;
}

export function demoEdgeConfig(o: { consulAddress: string; listen: string; admin: string }): string {
  return `# the demo edge (written by meshgate demo)
consul:
  address: "${o.consulAddress}"
agent:
  node: edge
  admin: "${o.admin}"
edge:
  listen: "${o.listen}"
  kong:
    _format_version: "3.0"
    services:
      - name: users
        url: http://users.service.consul
        retries: 3
        connect_timeout: 2000
        read_timeout: 10000
        routes:
          - name: users-api
            paths: ["/api/v1/users"]
            strip_path: false
      - name: orders
        url: http://orders.service.consul
        routes:
          - name: orders-api
            paths: ["/api/v1/orders"]
            strip_path: false
`;
}

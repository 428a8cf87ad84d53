// The upstream `algorithm` values meshgate accepts (a config contract). agent/balance/index.ts
// must register a balancer for exactly these names: its registry is typed against this list, so
// a name without a balancer, or a balancer without a name, does not compile.
export const BALANCER_NAMES = ['round-robin', 'least-connections', 'consistent-hashing', 'latency', 'least-request'] as const;

export type BalancerName = (typeof BALANCER_NAMES)[number];

// Kong's `prometheus` plugin: turns on Kong's metric names on /metrics (agent/observe/kong-metrics.ts)
// with Kong's switches. Agent-wide in meshgate (one /metrics per agent), so only a global entry.
import { Type, type Static } from '@sinclair/typebox';
import type { PluginFactory, PluginInstance } from '../plugin.js';

const PrometheusConfig = Type.Object({
  per_consumer: Type.Boolean({ default: false }),
  status_code_metrics: Type.Boolean({ default: false }),
  latency_metrics: Type.Boolean({ default: false }),
  bandwidth_metrics: Type.Boolean({ default: false }),
  upstream_health_metrics: Type.Boolean({ default: false }),
  ai_metrics: Type.Optional(Type.Literal(false)),
}, { additionalProperties: false });

export type PrometheusConfig = Static<typeof PrometheusConfig>;

const NOTHING_PER_ROUTE: PluginInstance = { name: 'prometheus', priority: 13 };

export const prometheusPlugin: PluginFactory<PrometheusConfig> = {
  name: 'prometheus',
  priority: 13,
  agentWide: true,
  configSchema: PrometheusConfig,
  create: () => NOTHING_PER_ROUTE,
};

// What a hot reload applies, and which changed sections it cannot: those are named in a log line
// and a metric rather than silently kept at their old values.
import type { MeshgateConfig } from '../../proto/config-schema.js';

/** Sections a reload swaps in place (the route table and how pools are reached). */
export const RELOADED_SECTIONS = ['edge.kong', 'edge.via_sidecars'] as const;

/** Sections that take effect only at start; a change to one needs a restart. */
export const RESTART_SECTIONS = [
  'consul', 'agent', 'mesh', 'sidecar', 'edge.listen', 'edge.limits', 'edge.trusted_proxies',
] as const;

export type RestartSection = (typeof RESTART_SECTIONS)[number];

function sectionOf(cfg: MeshgateConfig, name: RestartSection): unknown {
  const [top, sub] = name.split('.') as [keyof MeshgateConfig, string | undefined];
  const section = cfg[top] as Record<string, unknown> | undefined;
  return sub === undefined ? section : section?.[sub];
}

/** The restart-only sections whose value differs between the running and the reloaded config. */
export function sectionsNeedingRestart(running: MeshgateConfig, next: MeshgateConfig): RestartSection[] {
  return RESTART_SECTIONS.filter((name) => JSON.stringify(sectionOf(running, name)) !== JSON.stringify(sectionOf(next, name)));
}

// What a hot reload applies, and which changed sections it cannot: those are named in a log line
// and a metric rather than silently kept at their old values.
import { EdgeSection, MeshgateConfig } from '../../proto/config-schema.js';

/**
 * Sections a reload swaps in place: the route table, how pools are reached, the edge's certificates,
 * whom it trusts for X-Forwarded-*, and its strict-request rules.
 */
export const RELOADED_SECTIONS: readonly string[] = ['edge.kong', 'edge.via_sidecars', 'edge.tls', 'edge.trusted_proxies', 'edge.http'];

/**
 * Every other section takes effect only at start; a change to one needs a restart. Derived from
 * the schema, so a field added to it is reported on reload rather than silently kept.
 */
export const RESTART_SECTIONS: readonly string[] = [
  ...Object.keys(MeshgateConfig.properties).filter((k) => k !== 'edge'),
  ...Object.keys(EdgeSection.properties).map((k) => `edge.${k}`),
].filter((name) => !RELOADED_SECTIONS.includes(name));

function sectionOf(cfg: MeshgateConfig, name: string): unknown {
  const [top, sub] = name.split('.') as [keyof MeshgateConfig, string | undefined];
  const section = cfg[top] as Record<string, unknown> | undefined;
  return sub === undefined ? section : section?.[sub];
}

/** The restart-only sections whose value differs between the running and the reloaded config. */
export function sectionsNeedingRestart(running: MeshgateConfig, next: MeshgateConfig): string[] {
  return RESTART_SECTIONS.filter((name) => JSON.stringify(sectionOf(running, name)) !== JSON.stringify(sectionOf(next, name)));
}

export const RESTART_WARNING = 'config sections changed that only a restart applies; they keep their running values';

/**
 * After a reload: each restart-only section's gauge is 1 when the file changed it, and one log
 * line names them (compared with the config the process started with).
 */
export function reportRestartSections(
  running: MeshgateConfig, next: MeshgateConfig,
  gauge: { labels(section: string): { set(v: number): void } }, warn: (sections: string[]) => void,
): void {
  const needRestart = sectionsNeedingRestart(running, next);
  for (const section of RESTART_SECTIONS) gauge.labels(section).set(needRestart.includes(section) ? 1 : 0);
  if (needRestart.length > 0) warn(needRestart);
}

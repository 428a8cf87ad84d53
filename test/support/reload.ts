// Hot reloads of a running agent in the integration tests: rewrite its config file, SIGHUP, and
// wait for the outcome it logs.
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import type { AgentHandle } from './harness.js';
import { waitFor } from './wait.js';

const outcomes = (agent: AgentHandle, msg: RegExp) => agent.child.output.json().filter((l) => msg.test(String(l.msg))).length;

/** Changes the agent's config file with `edit`, sends SIGHUP and waits for "config reloaded". */
export async function reloadAgent(agent: AgentHandle, edit: (doc: Record<string, any>) => void): Promise<void> {
  const doc = parse(readFileSync(agent.configFile, 'utf8')) as Record<string, any>;
  edit(doc);
  const before = outcomes(agent, /^config reload/);
  writeFileSync(agent.configFile, stringify(doc));
  agent.child.signal('SIGHUP');
  await waitFor(() => outcomes(agent, /^config reload/) > before, { timeoutMs: 15_000, what: `${agent.name} to reload` });
  const last = agent.child.output.json().filter((l) => /^config reload/.test(String(l.msg))).pop();
  if (last?.msg !== 'config reloaded') throw new Error(`${agent.name}: the reload was rejected: ${String(last?.err)}`);
}

// Kong's `ip-restriction` plugin. STUB: to be implemented (see agent/plugins/plugin.ts for the contract).
import { Type } from '@sinclair/typebox';
import type { PluginFactory } from '../plugin.js';

export const ipRestrictionPlugin: PluginFactory = {
  name: 'ip-restriction',
  priority: 990,
  configSchema: Type.Object({}, { additionalProperties: true }),
  create() {
    throw new Error('plugin ip-restriction is not implemented yet');
  },
};

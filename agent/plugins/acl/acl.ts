// Kong's `acl` plugin. STUB: to be implemented (see agent/plugins/plugin.ts for the contract).
import { Type } from '@sinclair/typebox';
import type { PluginFactory } from '../plugin.js';

export const aclPlugin: PluginFactory = {
  name: 'acl',
  priority: 950,
  configSchema: Type.Object({}, { additionalProperties: true }),
  create() {
    throw new Error('plugin acl is not implemented yet');
  },
};

// Kong's `rate-limiting` plugin. STUB: to be implemented (see agent/plugins/plugin.ts for the contract).
import { Type } from '@sinclair/typebox';
import type { PluginFactory } from '../plugin.js';

export const rateLimitingPlugin: PluginFactory = {
  name: 'rate-limiting',
  priority: 910,
  configSchema: Type.Object({}, { additionalProperties: true }),
  create() {
    throw new Error('plugin rate-limiting is not implemented yet');
  },
};

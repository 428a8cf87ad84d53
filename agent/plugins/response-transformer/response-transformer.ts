// Kong's `response-transformer` plugin. STUB: to be implemented (see agent/plugins/plugin.ts for the contract).
import { Type } from '@sinclair/typebox';
import type { PluginFactory } from '../plugin.js';

export const responseTransformerPlugin: PluginFactory = {
  name: 'response-transformer',
  priority: 800,
  configSchema: Type.Object({}, { additionalProperties: true }),
  create() {
    throw new Error('plugin response-transformer is not implemented yet');
  },
};

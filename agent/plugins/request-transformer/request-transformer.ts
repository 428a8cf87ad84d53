// Kong's `request-transformer` plugin. STUB: to be implemented (see agent/plugins/plugin.ts for the contract).
import { Type } from '@sinclair/typebox';
import type { PluginFactory } from '../plugin.js';

export const requestTransformerPlugin: PluginFactory = {
  name: 'request-transformer',
  priority: 801,
  configSchema: Type.Object({}, { additionalProperties: true }),
  create() {
    throw new Error('plugin request-transformer is not implemented yet');
  },
};

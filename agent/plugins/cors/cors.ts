// Kong's `cors` plugin. STUB: to be implemented (see agent/plugins/plugin.ts for the contract).
import { Type } from '@sinclair/typebox';
import type { PluginFactory } from '../plugin.js';

export const corsPlugin: PluginFactory = {
  name: 'cors',
  priority: 2000,
  configSchema: Type.Object({}, { additionalProperties: true }),
  create() {
    throw new Error('plugin cors is not implemented yet');
  },
};

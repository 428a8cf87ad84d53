// Kong's `correlation-id` plugin. STUB: to be implemented (see agent/plugins/plugin.ts for the contract).
import { Type } from '@sinclair/typebox';
import type { PluginFactory } from '../plugin.js';

export const correlationIdPlugin: PluginFactory = {
  name: 'correlation-id',
  priority: 100001,
  configSchema: Type.Object({}, { additionalProperties: true }),
  create() {
    throw new Error('plugin correlation-id is not implemented yet');
  },
};

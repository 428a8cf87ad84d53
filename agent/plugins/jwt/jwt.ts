// Kong's `jwt` plugin. STUB: to be implemented (see agent/plugins/plugin.ts for the contract).
import { Type } from '@sinclair/typebox';
import type { PluginFactory } from '../plugin.js';

export const jwtPlugin: PluginFactory = {
  name: 'jwt',
  priority: 1450,
  configSchema: Type.Object({}, { additionalProperties: true }),
  create() {
    throw new Error('plugin jwt is not implemented yet');
  },
};

// Kong's `key-auth` plugin. STUB: to be implemented (see agent/plugins/plugin.ts for the contract).
import { Type } from '@sinclair/typebox';
import type { PluginFactory } from '../plugin.js';

export const keyAuthPlugin: PluginFactory = {
  name: 'key-auth',
  priority: 1250,
  configSchema: Type.Object({}, { additionalProperties: true }),
  create() {
    throw new Error('plugin key-auth is not implemented yet');
  },
};

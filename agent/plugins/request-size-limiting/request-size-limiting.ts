// Kong's `request-size-limiting` plugin. STUB: to be implemented (see agent/plugins/plugin.ts for the contract).
import { Type } from '@sinclair/typebox';
import type { PluginFactory } from '../plugin.js';

export const requestSizeLimitingPlugin: PluginFactory = {
  name: 'request-size-limiting',
  priority: 951,
  configSchema: Type.Object({}, { additionalProperties: true }),
  create() {
    throw new Error('plugin request-size-limiting is not implemented yet');
  },
};

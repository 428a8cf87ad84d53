import assert from 'node:assert/strict';
import { requiredPermission } from '../../../registrar/acl-permissions.js';

describe('requiredPermission (named in 403 errors)', () => {
  const ROWS: readonly [string, RegExp][] = [
    ['/agent/service/register', /^service:write on the registered service/],
    ['/agent/service/deregister/users-1', /^service:write/],
    ['/agent/service/maintenance/users-1', /^service:write/],
    ['/agent/check/pass/service:users-1', /^service:write/],
    ['/agent/connect/ca/leaf/users', /^service:write on "users" \(Connect leaf/],
    ['/health/service/orders', /^service:read on "orders" and node:read$/],
    ['/health/connect/orders', /^service:read on "orders" and node:read$/],
    ['/catalog/service/orders', /^service:read on "orders"/],
    ['/connect/intentions', /^intentions:read/],
    ['/config/service-intentions', /^intentions:read/],
    ['/agent/self', /^agent:read/],
    ['/kv/x', /^an ACL permission/],
  ];
  for (const [path, want] of ROWS) it(path, () => assert.match(requiredPermission(path), want));
});

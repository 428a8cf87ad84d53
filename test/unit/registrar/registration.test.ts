import assert from 'node:assert/strict';
import type { LocalService } from '../../../proto/config-schema.js';
import { checkId, meshAdvertiseAddress, registrationBody, serviceId, SIDECAR_SUFFIX, sidecarId } from '../../../registrar/registration.js';

const MESH = { address: '10.0.0.7', port: 21000 };

type Body = Record<string, any>;
const body = (s: LocalService, mesh = MESH): Body => registrationBody(s, mesh) as Body;

describe('registration ids', () => {
  it('uses the name when there is no id', () => {
    const s = { name: 'users', port: 8080 };
    assert.equal(serviceId(s), 'users');
    assert.equal(sidecarId(s), 'users-sidecar-proxy');
    assert.equal(checkId(s), 'service:users');
  });
  it('prefers the explicit id', () => {
    const s = { name: 'users', id: 'users-2', port: 8080 };
    assert.equal(serviceId(s), 'users-2');
    assert.equal(sidecarId(s), `users-2${SIDECAR_SUFFIX}`);
    assert.equal(checkId(s), 'service:users-2');
  });
});

describe('registrationBody', () => {
  it('registers the service itself', () => {
    const b = body({ name: 'users', id: 'users-2', port: 8080, address: '10.0.0.7', tags: ['v1'] });
    assert.equal(b.ID, 'users-2');
    assert.equal(b.Name, 'users');
    assert.equal(b.Address, '10.0.0.7');
    assert.equal(b.Port, 8080);
    assert.deepEqual(b.Tags, ['v1']);
    assert.equal('Weights' in b, false);
  });

  it('defaults the address to 127.0.0.1 and tags to []', () => {
    const b = body({ name: 'users', port: 8080 });
    assert.equal(b.Address, '127.0.0.1');
    assert.deepEqual(b.Tags, []);
    assert.deepEqual(b.Connect.SidecarService.Tags, []);
  });

  it('marks the service and its sidecar as managed, without letting meta override the marker', () => {
    const b = body({ name: 'users', port: 8080, meta: { team: 'core', 'meshgate-managed': 'false' } });
    assert.deepEqual(b.Meta, { team: 'core', 'meshgate-managed': 'true' });
    assert.deepEqual(b.Connect.SidecarService.Meta, { 'meshgate-managed': 'true' });
  });

  it('sidecar.advertise is the mesh address registered for the proxy; without it, the listen host (loopback for a wildcard)', () => {
    assert.equal(meshAdvertiseAddress('0.0.0.0', '10.1.2.3'), '10.1.2.3');
    assert.equal(meshAdvertiseAddress('127.0.0.5', undefined), '127.0.0.5');
    assert.equal(meshAdvertiseAddress('0.0.0.0', undefined), '127.0.0.1');
    assert.equal(meshAdvertiseAddress('::', undefined), '127.0.0.1');
    const b = body({ name: 'users', port: 8080 }, { address: meshAdvertiseAddress('0.0.0.0', '10.1.2.3'), port: 21000 });
    assert.equal(b.Connect.SidecarService.Address, '10.1.2.3');
    assert.equal(b.Connect.SidecarService.Checks[0].TCP, '10.1.2.3:21000');
  });

  it('registers a connect-proxy sidecar on the mesh listener', () => {
    const b = body({ name: 'users', id: 'users-2', port: 8080, address: '127.0.0.2', tags: ['v1'] });
    const sc = b.Connect.SidecarService;
    assert.equal(sc.Port, 21000);
    assert.equal(sc.Address, '10.0.0.7');
    assert.deepEqual(sc.Tags, ['v1']);
    assert.deepEqual(sc.Proxy, {
      DestinationServiceName: 'users',
      DestinationServiceID: 'users-2',
      LocalServiceAddress: '127.0.0.2',
      LocalServicePort: 8080,
      Upstreams: [],
    });
  });

  it('checks the sidecar by its mesh listener and by alias of the service', () => {
    const b = body({ name: 'users', id: 'users-2', port: 8080, deregister_critical_service_after: '5m' });
    assert.deepEqual(b.Connect.SidecarService.Checks, [
      { Name: 'Mesh listener', TCP: '10.0.0.7:21000', Interval: '2s', DeregisterCriticalServiceAfter: '5m' },
      { Name: 'Destination users-2 health', AliasService: 'users-2' },
    ]);
  });

  it('copies weights to the service and its sidecar, Warning defaulting to 1', () => {
    const b = body({ name: 'users', port: 8080, weights: { passing: 5 } });
    assert.deepEqual(b.Weights, { Passing: 5, Warning: 1 });
    assert.deepEqual(b.Connect.SidecarService.Weights, { Passing: 5, Warning: 1 });
    const w = body({ name: 'users', port: 8080, weights: { passing: 5, warning: 0 } });
    assert.deepEqual(w.Weights, { Passing: 5, Warning: 0 });
  });

  it('lists the sidecar\'s local upstream ports as Proxy.Upstreams', () => {
    const b = registrationBody({ name: 'web', port: 8080 }, MESH, [
      { service: 'orders', address: '127.0.0.1', port: 9001 },
      { service: 'users', address: '0.0.0.0', port: 9002 },
    ]) as Body;
    assert.deepEqual(b.Connect.SidecarService.Proxy.Upstreams, [
      { DestinationType: 'service', DestinationName: 'orders', LocalBindAddress: '127.0.0.1', LocalBindPort: 9001 },
      { DestinationType: 'service', DestinationName: 'users', LocalBindAddress: '0.0.0.0', LocalBindPort: 9002 },
    ]);
  });

  const CHECKS: readonly [string, LocalService['check'], Record<string, unknown>][] = [
    ['http', { http: 'http://127.0.0.1:8080/health', interval: '5s', timeout: '1s' },
      { Name: 'users health', DeregisterCriticalServiceAfter: '1m', HTTP: 'http://127.0.0.1:8080/health', Interval: '5s', Timeout: '1s' }],
    ['http, timeout defaults to interval', { http: 'http://127.0.0.1:8080/health', interval: '5s' },
      { Name: 'users health', DeregisterCriticalServiceAfter: '1m', HTTP: 'http://127.0.0.1:8080/health', Interval: '5s', Timeout: '5s' }],
    ['tcp', { tcp: '127.0.0.1:8080', interval: '3s' },
      { Name: 'users health', DeregisterCriticalServiceAfter: '1m', TCP: '127.0.0.1:8080', Interval: '3s', Timeout: '3s' }],
    ['ttl', { ttl: '30s' },
      { Name: 'users health', DeregisterCriticalServiceAfter: '1m', TTL: '30s' }],
  ];
  it('builds the service check from check.http, check.tcp or check.ttl, with check.interval and check.timeout', () => {
    for (const [name, check, want] of CHECKS) assert.deepEqual(body({ name: 'users', port: 8080, check }).Check, want, name);
  });

  it('checks TCP on the service address and port when no check is given', () => {
    assert.deepEqual(body({ name: 'users', port: 8080, address: '10.0.0.9' }).Check, {
      Name: 'users health', DeregisterCriticalServiceAfter: '1m', TCP: '10.0.0.9:8080', Interval: '2s', Timeout: '2s',
    });
  });

  it('uses deregister_critical_service_after for the service check', () => {
    assert.equal(body({ name: 'users', port: 8080, deregister_critical_service_after: '90s' }).Check.DeregisterCriticalServiceAfter, '90s');
  });

  it('is plain JSON', () => {
    const b = body({ name: 'users', port: 8080, check: { ttl: '10s' }, weights: { passing: 2 } });
    assert.deepEqual(JSON.parse(JSON.stringify(b)), b);
  });

  // Regression (found as a bug): TCP check targets are built as `${address}:${port}`, so an IPv6 service or mesh address
  // (e.g. sidecar listen "[::1]:21000" → mesh address "::1") gives "::1:21000", which Consul's
  // TCP check (Go net.Dial) refuses as "too many colons"; it must be "[::1]:21000".
  // Input: registrationBody({ name: 'users', port: 8080, address: '::1' }, { address: '::1', port: 21000 }).
  // Expected: Check.TCP "[::1]:8080", mesh listener TCP "[::1]:21000". Actual: "::1:8080", "::1:21000".
  it('TCP checks bracket IPv6 addresses', () => {
    const b = body({ name: 'users', port: 8080, address: '::1' }, { address: '::1', port: 21000 });
    assert.equal(b.Check.TCP, '[::1]:8080');
    assert.equal(b.Connect.SidecarService.Checks[0].TCP, '[::1]:21000');
  });
});

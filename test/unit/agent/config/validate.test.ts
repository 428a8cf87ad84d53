import assert from 'node:assert/strict';
import { validateKongDeclarative, validateMeshgateConfig } from '../../../../agent/config/validate.js';

describe('validateMeshgateConfig', () => {
  it('returns the same document as config when it is valid', () => {
    const doc = { edge: { kong: { _format_version: '3.0' } } };
    const r = validateMeshgateConfig(doc);
    assert.deepEqual(r.issues, []);
    assert.equal(r.config, doc);
  });

  it('refuses edge.http2 on an edge with no certificate unless h2c is on', () => {
    const kong = { _format_version: '3.0' as const };
    assert.deepEqual(validateMeshgateConfig({ edge: { kong, http2: { max_concurrent_streams: 10 } } }).issues,
      [{ path: 'edge.http2', message: 'applies to the TLS listener (it needs a certificate) or, with h2c: true, to the plain one' }]);
    assert.deepEqual(validateMeshgateConfig({ edge: { kong, http2: { h2c: true, max_concurrent_streams: 10 } } }).issues, []);
  });

  it('returns no config when the schema fails', () => {
    const r = validateMeshgateConfig({ sidecar: { listen: 'x' } });
    assert.equal(r.config, undefined);
    assert.ok(r.issues.length > 0);
  });

  it('returns no config when only a rule beyond the schema fails', () => {
    const r = validateMeshgateConfig({});
    assert.equal(r.config, undefined);
    assert.deepEqual(r.issues, [{ path: '', message: 'needs a sidecar or an edge section (or both)' }]);
  });

  it('folds a union of literals into one "must be one of" issue', () => {
    const r = validateMeshgateConfig({ agent: { log_level: 'loud' }, edge: { kong: { _format_version: '3.0' } } });
    assert.deepEqual(r.issues, [{ path: 'agent.log_level', message: 'must be one of ["fatal","error","warn","info","debug","trace","silent"]' }]);
  });

  it('reports two unknown keys as two issues, each once', () => {
    const r = validateMeshgateConfig({ a: 1, b: 2, edge: { kong: { _format_version: '3.0' } } });
    assert.deepEqual(r.issues.map((i) => i.path).sort(), ['a', 'b']);
  });

  it('names the key a path segment came from, escaping nothing', () => {
    const r = validateMeshgateConfig({
      sidecar: { listen: '127.0.0.1:1', services: [{ name: 'a', port: 1, meta: { 'x/y~z': 5 } }] },
    });
    assert.deepEqual(r.issues, [{ path: 'sidecar.services[0].meta.x/y~z', message: 'must be string' }]);
  });

  it('checks the Kong rules under edge.kong with that prefix', () => {
    const r = validateMeshgateConfig({ edge: { kong: { _format_version: '3.0', services: [{ name: 'a' }] } } });
    assert.deepEqual(r.issues, [{ path: 'edge.kong.services[0]', message: 'needs either url or host' }]);
  });
});

describe('validateKongDeclarative', () => {
  it('accepts a decK document', () => {
    const doc = {
      _format_version: '2.1',
      services: [{ name: 'a', url: 'https://a.example.com/x', routes: [{ paths: ['/a'], protocols: ['https'] }] }],
      upstreams: [{ name: 'a.example.com', targets: [{ target: 'b' }] }],
    };
    const r = validateKongDeclarative(doc);
    assert.deepEqual(r.issues, []);
    assert.equal(r.config, doc);
  });

  it('requires _format_version', () => {
    const r = validateKongDeclarative({ services: [] });
    assert.deepEqual(r.issues, [{ path: '_format_version', message: 'is required' }]);
  });

  it('reports a url service that also sets port', () => {
    const r = validateKongDeclarative({ _format_version: '3.0', services: [{ name: 'a', url: 'http://a', port: 80 }] });
    assert.deepEqual(r.issues, [{ path: 'services[0].url', message: 'url cannot be combined with protocol, host, port or path' }]);
  });
});

// Kong's metadata fields (id, tags, names, instance_name, _info) act only as validation and
// references; these tests hold meshgate to Kong's rules for them.
import assert from 'node:assert/strict';
import { validateKongDeclarative } from '../../../../agent/config/validate.js';
import { resolvePlugins } from '../../../../agent/plugins/plugin-config.js';
import { ConsumerIndex, consumerIdOf } from '../../../../agent/plugins/consumers.js';
import type { KongDeclarative } from '../../../../proto/config-schema.js';

const U = (n: number): string => `5a1d0000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const issuesOf = (doc: object) => validateKongDeclarative({ _format_version: '3.0', ...doc }).issues;
const pathsOf = (doc: object) => issuesOf(doc).map((i) => i.path);
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';

/** a document with `value` in every Kong field of the kind (`id` or `tags`), and the paths they are at */
function everyKongField(kind: 'id' | 'tags', value: unknown): { doc: object; paths: string[] } {
  const f = { [kind]: value };
  const doc = {
    services: [{ name: 's', url: 'http://127.0.0.1:1', ...f, routes: [{ paths: ['/'], ...f }] }],
    upstreams: kind === 'tags' ? [{ name: 'u', tags: value, targets: [{ target: '127.0.0.1:1', tags: value }] }] : [],
    consumers: [{
      username: 'ann', ...f,
      keyauth_credentials: [{ key: 'k', ...f }], jwt_secrets: [{ key: 'iss', secret: 's', ...f }], acls: [{ group: 'g', ...f }],
    }],
    plugins: [{ name: 'cors', ...f }],
    certificates: [{ cert: PEM, key: PEM, ...f, snis: [{ name: 'a.test', ...f }] }],
    snis: [{ name: 'b.test', certificate: { id: kind === 'id' ? value : U(9) }, ...f }],
  };
  const paths = [
    'services[0]', 'services[0].routes[0]', 'consumers[0]', 'consumers[0].keyauth_credentials[0]', 'consumers[0].jwt_secrets[0]',
    'consumers[0].acls[0]', 'plugins[0]', 'certificates[0]', 'certificates[0].snis[0]', 'snis[0]',
    ...(kind === 'tags' ? ['upstreams[0]', 'upstreams[0].targets[0]'] : ['snis[0].certificate']),
  ].map((p) => `${p}.${kind}${kind === 'tags' ? '[0]' : ''}`);
  return { doc, paths };
}

describe('Kong metadata: ids, tags, unique names, references, _info', () => {
  it('Kong ids: a UUID is accepted on every entity, anything else is refused with its path and "expected a valid UUID"', () => {
    const good = everyKongField('id', U(1).toUpperCase());
    assert.deepEqual(issuesOf(good.doc).filter((i) => /UUID/.test(i.message)), []);
    const bad = everyKongField('id', 'users-1');
    // (the object form of a certificate's sni also fails the plain-name branch: that issue is not the one looked at)
    const issues = issuesOf(bad.doc).filter((i) => i.message === 'expected a valid UUID');
    assert.deepEqual(issues.map((i) => i.path).sort(), [...bad.paths].sort());
    const refs = issuesOf({ plugins: [{ name: 'cors', service: { id: 'svc' }, route: { id: 'r' }, consumer: { id: 'c' } }] });
    assert.deepEqual(refs.filter((i) => i.message === 'expected a valid UUID').map((i) => i.path).sort(),
      ['plugins[0].consumer.id', 'plugins[0].route.id', 'plugins[0].service.id']);
  });

  it('Kong tags: printable text and UTF-8 are accepted on every entity; a tag with ",", "/" or a control character is refused with its path', () => {
    for (const tag of ['team-a', 'v1.2 beta', 'équipe', 'a:b=c', '~!@#$%^&*()+']) {
      // (the placeholder PEM is refused by the certificate rules; only tag issues matter here)
      assert.deepEqual(issuesOf(everyKongField('tags', [tag]).doc).filter((i) => /tag/.test(i.message)), [], tag);
    }
    for (const tag of ['a,b', 'a/b', 'tab\there', 'del\x7f', '']) {
      const bad = everyKongField('tags', [tag]);
      const issues = issuesOf(bad.doc).filter((i) => /expected printable ascii \(except `,` and `\/`\)/.test(i.message));
      assert.deepEqual(issues.map((i) => i.path).sort(), [...bad.paths].sort(), JSON.stringify(tag));
    }
  });

  it('ids, route names, consumer usernames and custom_ids, plugin instance_names and credential keys are unique: the second is refused, naming the first', () => {
    const svc = (name: string, id: string, route: object) => ({ name, id, url: 'http://127.0.0.1:1', routes: [{ paths: ['/'], ...route }] });
    const issues = issuesOf({
      services: [svc('a', U(1), { name: 'r', id: U(2) }), svc('b', U(1), { name: 'r', id: U(2) })],
      consumers: [
        { username: 'ann', custom_id: 'c1', id: U(3), keyauth_credentials: [{ key: 'secret-key', id: U(4) }], jwt_secrets: [{ key: 'iss', id: U(5) }], acls: [{ group: 'g', id: U(6) }] },
        { username: 'ann', custom_id: 'c1', id: U(3), keyauth_credentials: [{ key: 'secret-key', id: U(4) }], jwt_secrets: [{ key: 'iss', id: U(5) }], acls: [{ group: 'g', id: U(6) }] },
      ],
      plugins: [{ name: 'cors', id: U(7), instance_name: 'cors-1' }, { name: 'correlation-id', id: U(7), instance_name: 'cors-1' }],
    });
    const got = Object.fromEntries(issues.map((i) => [i.path, i.message]));
    assert.deepEqual(Object.keys(got).sort(), [
      'consumers[1].acls[0].id', 'consumers[1].custom_id', 'consumers[1].id', 'consumers[1].jwt_secrets[0].id', 'consumers[1].jwt_secrets[0].key',
      'consumers[1].keyauth_credentials[0].id', 'consumers[1].keyauth_credentials[0].key', 'consumers[1].username',
      'plugins[1].id', 'plugins[1].instance_name', 'services[1].id', 'services[1].routes[0].id', 'services[1].routes[0].name',
    ]);
    assert.equal(got['services[1].routes[0].name'], 'route name "r" is already used by services[0].routes[0].name');
    assert.equal(got['consumers[1].keyauth_credentials[0].key'], 'key-auth key is already used by consumers[0].keyauth_credentials[0].key', 'a key is never repeated in a message');
  });

  it('a consumer needs a username or a custom_id; plugin instance_name takes alphanumerics, ".", "-", "_", "~" and UTF-8', () => {
    assert.deepEqual(issuesOf({ consumers: [{ id: U(1) }] }), [{ path: 'consumers[0]', message: 'needs at least one of username or custom_id' }]);
    assert.deepEqual(issuesOf({ plugins: [{ name: 'cors', instance_name: 'cors_1.a~b-ü' }] }), []);
    assert.deepEqual(pathsOf({ plugins: [{ name: 'cors', instance_name: 'cors 1' }] }), ['plugins[0].instance_name']);
  });

  it('plugins reference their service, route and consumer by name or by id; an unknown reference is refused with its path', () => {
    const kong: KongDeclarative = {
      _format_version: '3.0',
      services: [{ name: 'orders', id: U(1), url: 'http://127.0.0.1:1', routes: [{ name: 'list', id: U(2), paths: ['/'] }, { id: U(3), paths: ['/x'] }] }],
      consumers: [{ username: 'ann', id: U(4) }, { custom_id: 'crm-7' }],
      plugins: [
        { name: 'cors', service: U(1), route: { id: U(2) }, consumer: { id: U(4) } },
        { name: 'cors', service: { name: 'orders' }, route: 'list', consumer: 'ann' },
        { name: 'cors', route: U(3) },
      ],
    };
    const r = resolvePlugins(kong, []);
    assert.deepEqual(r.issues, []);
    assert.deepEqual(r.plugins.map((p) => p.scope), [
      { service: 'orders', route: 'list', consumer: U(4) },
      { service: 'orders', route: 'list', consumer: U(4) },
      { service: undefined, route: 'orders.routes[1]', consumer: undefined },
    ]);
    const withConsumerPlugin = resolvePlugins({ ...kong, plugins: [], consumers: [{ custom_id: 'crm-7', plugins: [{ name: 'cors' }] }] }, []);
    assert.deepEqual(withConsumerPlugin.plugins.map((p) => p.scope.consumer), [consumerIdOf({ custom_id: 'crm-7' })], 'a consumer known only by custom_id still owns its plugins');
    const unknown = resolvePlugins({ ...kong, plugins: [{ name: 'cors', service: { id: U(8) }, route: 'nope', consumer: 'crm-7' }] }, []);
    assert.deepEqual(unknown.issues.map((i) => i.path), ['plugins[0].service', 'plugins[0].route', 'plugins[0].consumer']);
  });

  it('enabled: false on a plugin: its config is still validated, and it is left out of every chain', () => {
    const kong = (enabled: boolean, config: Record<string, unknown>): KongDeclarative => ({ _format_version: '3.0', plugins: [{ name: 'correlation-id', enabled, config }] });
    assert.equal(resolvePlugins(kong(true, {}), []).plugins.length, 1);
    assert.equal(resolvePlugins(kong(false, {}), []).plugins.length, 0);
    assert.deepEqual(resolvePlugins(kong(false, { bogus: 1 }), []).issues.map((i) => i.path), ['plugins[0].config.bogus']);
  });

  it('_info.select_tags are validated as tags; any other _info key is refused with its path and "not supported"', () => {
    assert.deepEqual(issuesOf({ _info: { select_tags: ['petstore'] } }), []);
    assert.deepEqual(pathsOf({ _info: { select_tags: ['a/b'] } }), ['_info.select_tags[0]']);
    const refused = issuesOf({ _info: { select_tags: ['t'], defaults: { service: { retries: 1 } } } });
    assert.deepEqual(refused.map((i) => i.path), ['_info.defaults']);
    assert.match(refused[0]!.message, /^not supported/);
  });

  it('_transform: true or false, credentials are read as written (Kong transforms only basic-auth passwords, which meshgate does not take)', () => {
    const doc = (transform: boolean): KongDeclarative => ({
      _format_version: '3.0', _transform: transform,
      consumers: [{ username: 'ann', keyauth_credentials: [{ key: 'plain-key' }], jwt_secrets: [{ key: 'iss-1', secret: 'plain-secret' }] }],
    });
    for (const transform of [true, false]) {
      assert.deepEqual(validateKongDeclarative(doc(transform)).issues, []);
      const index = ConsumerIndex.compile(doc(transform));
      assert.equal(index.keyAuth.get('plain-key')?.consumer.username, 'ann', `_transform: ${String(transform)}`);
      assert.equal(index.jwtSecrets.get('iss-1')?.secret, 'plain-secret', `_transform: ${String(transform)}`);
    }
    assert.deepEqual(pathsOf({ _transform: 'yes' }), ['_transform']);
  });
});

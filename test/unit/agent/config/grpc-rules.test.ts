import assert from 'node:assert/strict';
import { parseConfig } from '../../../../agent/config/load.js';
import { ConfigError, type ConfigIssue } from '../../../../agent/config/config-error.js';

const deck = (...lines: string[]): string => ['_format_version: "3.0"', ...lines, ''].join('\n');
/** a gRPC service with one route; `route` and `service` add fields (YAML lines at their indent) */
const GRPC = (route: string[] = [], service: string[] = [], protocol = 'grpc'): string[] => [
  'services:', '  - name: g', `    protocol: ${protocol}`, '    host: greeter', ...service.map((l) => `    ${l}`),
  '    routes:', '      - name: r', '        paths: ["/pkg.Svc/"]', '        protocols: [grpc, grpcs]', ...route.map((l) => `        ${l}`),
];

/** a gRPC service with one http/https route (no protocols: Kong's default), for grpc-web; `route` adds fields */
const WEB_ROUTE = (route: string[] = [], protocol = 'grpc'): string[] => [
  'services:', '  - name: g', `    protocol: ${protocol}`, '    host: greeter',
  '    routes:', '      - name: w', '        paths: ["/"]', ...route.map((l) => `        ${l}`),
];

function issuesOf(text: string): readonly ConfigIssue[] {
  try { parseConfig(text, 'kong.yaml', {}); } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.issues;
  }
  return [];
}

describe('gRPC routes and services: Kong rules at load', () => {
  const REFUSED: readonly { name: string; text: string; path: string; says: RegExp }[] = [
    { name: 'methods on a grpc route', text: deck(...GRPC(['methods: [POST]'])), path: 'services[0].routes[0].methods', says: /cannot set 'methods'/ },
    { name: 'strip_path: true on a grpc route', text: deck(...GRPC(['strip_path: true'])), path: 'services[0].routes[0].strip_path', says: /cannot set 'strip_path'/ },
    { name: 'grpc mixed with http in one route', text: deck(...GRPC().map((l) => l.replace('[grpc, grpcs]', '[grpc, http]'))), path: 'services[0].routes[0].protocols', says: /cannot be mixed/ },
    { name: 'a grpc route on an http service', text: deck(...GRPC([], [], 'http')), path: 'services[0].routes[0].protocols', says: /needs a service with protocol grpc/ },
    { name: 'an http route on a grpc service', text: deck(...GRPC().map((l) => l.replace('[grpc, grpcs]', '[http, https]'))), path: 'services[0].routes[0].protocols', says: /its routes need protocols \[grpc\]/ },
    { name: 'an http-only plugin (cors) on a grpc route', text: deck(...GRPC(['plugins:', '  - name: cors'])), path: 'services[0].routes[0].plugins[0].name', says: /http\/https only/ },
    { name: 'a global http-only plugin when a grpc route exists', text: deck(...GRPC(), 'plugins:', '  - name: response-transformer'), path: 'plugins[0].name', says: /http\/https only/ },
    { name: 'a plugin whose protocols leave grpc out, on a grpc service', text: deck(...GRPC([], ['plugins:', '  - name: key-auth', '    protocols: [http, https]'])), path: 'services[0].plugins[0].protocols', says: /list http, https, grpc and grpcs/ },
    { name: 'grpc-web on a grpc route', text: deck(...GRPC(['plugins:', '  - name: grpc-web'])), path: 'services[0].routes[0].plugins[0].name', says: /grpc-web translates gRPC-Web calls on http\/https routes/ },
    { name: 'grpc-web on a route of an http service', text: deck(...WEB_ROUTE(['plugins:', '  - name: grpc-web'], 'http')), path: 'services[0].routes[0].plugins[0].name', says: /needs protocol grpc or grpcs/ },
    { name: 'a top-level grpc-web naming a route of an http service', text: deck(...WEB_ROUTE([], 'http'), 'plugins:', '  - name: grpc-web', '    route: w'), path: 'plugins[0].name', says: /needs protocol grpc or grpcs/ },
    { name: 'a global grpc-web with no route or service', text: deck(...WEB_ROUTE(), 'plugins:', '  - name: grpc-web'), path: 'plugins[0].name', says: /name a route or service/ },
    { name: 'a disabled grpc-web (the http route to a grpc service is left without it)', text: deck(...WEB_ROUTE(['plugins:', '  - name: grpc-web', '    enabled: false'])), path: 'services[0].routes[0].protocols', says: /the grpc-web plugin/ },
    { name: 'grpc-web config.proto (JSON transcoding)', text: deck(...WEB_ROUTE(['plugins:', '  - name: grpc-web', '    config: { proto: /etc/x.proto }'])), path: 'services[0].routes[0].plugins[0].config.proto', says: /not supported: JSON transcoding/ },
    { name: 'an unknown route protocol', text: deck(...GRPC().map((l) => l.replace('[grpc, grpcs]', '[grpc, tcp]'))), path: 'services[0].routes[0].protocols[1]', says: /./ },
  ];
  for (const row of REFUSED) {
    it(`refuses ${row.name}, naming its path`, () => {
      const found = issuesOf(row.text).find((i) => i.path === row.path);
      assert.ok(found, `no issue at ${row.path}: ${JSON.stringify(issuesOf(row.text))}`);
      assert.match(found.message, row.says);
    });
  }

  const ACCEPTED: readonly { name: string; text: string }[] = [
    { name: 'a grpc + grpcs route on a grpc service', text: deck(...GRPC()) },
    { name: 'a grpcs service with snis on its grpcs route', text: deck(...GRPC(['snis: [a.test]'], [], 'grpcs')) },
    { name: 'key-auth, acl and rate-limiting on a grpc route', text: deck(...GRPC(['plugins:', '  - name: key-auth', '  - name: rate-limiting', '    config: { minute: 5 }'])) },
    { name: 'Kong\'s default plugin protocol list with grpc routes', text: deck(...GRPC(['plugins:', '  - name: key-auth', '    protocols: [grpc, grpcs, http, https]'])) },
    { name: 'grpc-web on an http route of a grpc service', text: deck(...WEB_ROUTE(['plugins:', '  - name: grpc-web', '    config: { pass_stripped_path: true, allow_origin_header: "https://app.test" }'])) },
    { name: 'grpc-web on the grpc service itself', text: deck(...WEB_ROUTE().map((l) => (l === '    host: greeter' ? '    host: greeter\n    plugins: [{ name: grpc-web }]' : l))) },
    { name: 'a top-level grpc-web naming the route, with cors beside it', text: deck(...WEB_ROUTE(['plugins:', '  - name: cors']), 'plugins:', '  - name: grpc-web', '    route: w') },
    { name: 'cors on an http service beside a grpc one', text: deck(...GRPC(), '  - name: web', '    url: http://web', '    routes:', '      - paths: ["/w"]', '        plugins:', '          - name: cors') },
  ];
  for (const row of ACCEPTED) {
    it(`accepts ${row.name}`, () => assert.deepEqual(issuesOf(row.text), []));
  }
});

import assert from 'node:assert/strict';
import { parseConfig } from '../../../../agent/config/load.js';
import { ConfigError, type ConfigIssue } from '../../../../agent/config/config-error.js';

const deck = (...lines: string[]): string => ['_format_version: "3.0"', ...lines, ''].join('\n');
const SERVICE = ['services:', '  - name: s', '    url: http://127.0.0.1:1'];
const ROUTE = (field: string): string[] => [...SERVICE, '    routes:', '      - paths: ["/"]', `        ${field}`];
const PLUGIN = (protocols: string): string[] => ['plugins:', '  - name: cors', `    protocols: ${protocols}`];
const UPSTREAM = (field: string): string[] => ['upstreams:', '  - name: u', '    healthchecks:', '      active:', `        ${field}`];
const CREDENTIAL = (field: string): string[] => ['consumers:', '  - username: ann', '    keyauth_credentials:', `      - { key: k1${field} }`];

function issuesOf(text: string): readonly ConfigIssue[] {
  try { parseConfig(text, 'kong.yaml', {}); } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.issues;
  }
  return [];
}

describe('Kong fields without Kong behaviour in meshgate', () => {
  const REFUSED: readonly { name: string; text: string; path: string }[] = [
    { name: 'refuses route request_buffering: true, naming its path and "not supported"', text: deck(...ROUTE('request_buffering: true')), path: 'services[0].routes[0].request_buffering' },
    { name: 'refuses route response_buffering: true, naming its path and "not supported"', text: deck(...ROUTE('response_buffering: true')), path: 'services[0].routes[0].response_buffering' },
    { name: 'refuses plugin protocols without https, naming its path and "not supported"', text: deck(...PLUGIN('[http]')), path: 'plugins[0].protocols' },
    { name: 'refuses plugin protocols grpc only, naming its path and "not supported"', text: deck(...PLUGIN('[grpc, grpcs]')), path: 'plugins[0].protocols' },
    { name: 'refuses route protocols ws and wss (Kong Enterprise), naming its path and "not supported"', text: deck(...ROUTE('protocols: [http, wss]')), path: 'services[0].routes[0].protocols[1]' },
    { name: 'refuses key-auth credential ttl, naming its path and "not supported"', text: deck(...CREDENTIAL(', ttl: 3600')), path: 'consumers[0].keyauth_credentials[0].ttl' },
    { name: 'refuses active concurrency, naming its path and "not supported"', text: deck(...UPSTREAM('concurrency: 10')), path: 'upstreams[0].healthchecks.active.concurrency' },
    { name: 'refuses active https_verify_certificate: false, naming its path and "not supported"', text: deck(...UPSTREAM('https_verify_certificate: false')), path: 'upstreams[0].healthchecks.active.https_verify_certificate' },
    { name: 'refuses route path_handling: v1, naming its path and "not supported"', text: deck(...ROUTE('path_handling: v1')), path: 'services[0].routes[0].path_handling' },
    { name: 'refuses active https_sni, naming its path and "not supported"', text: deck(...UPSTREAM('https_sni: api.example.com')), path: 'upstreams[0].healthchecks.active.https_sni' },
  ];
  for (const row of REFUSED) {
    it(row.name, () => {
      const hit = issuesOf(row.text).find((i) => i.path === row.path);
      assert.ok(hit, `no issue at ${row.path}: ${JSON.stringify(issuesOf(row.text))}`);
      assert.match(hit.message, /^not supported/);
    });
  }

  const ACCEPTED: readonly { name: string; text: string }[] = [
    { name: 'route request_buffering: false (meshgate streams)', text: deck(...ROUTE('request_buffering: false')) },
    { name: 'route response_buffering: false (meshgate streams)', text: deck(...ROUTE('response_buffering: false')) },
    { name: 'plugin protocols listing http and https (Kong\'s default list)', text: deck(...PLUGIN('[grpc, grpcs, http, https]')) },
    { name: 'active https_verify_certificate: true (probes verify)', text: deck(...UPSTREAM('https_verify_certificate: true')) },
    { name: 'a key-auth credential without ttl', text: deck(...CREDENTIAL('')) },
    { name: 'route path_handling: v0 (how meshgate joins paths)', text: deck(...ROUTE('path_handling: v0')) },
  ];
  for (const row of ACCEPTED) {
    it(`accepts ${row.name}`, () => assert.deepEqual(issuesOf(row.text), []));
  }
});

import assert from 'node:assert/strict';
import { parseConfig } from '../../../../agent/config/load.js';
import { ConfigError, type ConfigIssue } from '../../../../agent/config/config-error.js';

const upstream = (...fields: string[]): string =>
  ['_format_version: "3.0"', 'upstreams:', '  - name: u', ...fields.map((f) => `    ${f}`), ''].join('\n');
const hashing = (...fields: string[]): string => upstream('algorithm: consistent-hashing', ...fields);

function issuesOf(text: string): readonly ConfigIssue[] {
  try { parseConfig(text, 'kong.yaml', {}); } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.issues;
  }
  return [];
}

describe('upstream hash fields (Kong\'s entity checks, and only with consistent-hashing)', () => {
  const REFUSED: readonly { name: string; text: string; path: string; message: RegExp }[] = [
    { name: 'hash_on header without hash_on_header', text: hashing('hash_on: header'), path: 'upstreams[0].hash_on_header', message: /required when hash_on is header/ },
    { name: 'hash_fallback header without hash_fallback_header', text: hashing('hash_on: ip', 'hash_fallback: header'), path: 'upstreams[0].hash_fallback_header', message: /required when hash_fallback is header/ },
    { name: 'hash_on cookie without hash_on_cookie', text: hashing('hash_on: cookie'), path: 'upstreams[0].hash_on_cookie', message: /required when hash_on is cookie/ },
    { name: 'hash_fallback cookie without hash_on_cookie', text: hashing('hash_on: ip', 'hash_fallback: cookie'), path: 'upstreams[0].hash_on_cookie', message: /required when hash_fallback is cookie/ },
    { name: 'hash_on query_arg without hash_on_query_arg', text: hashing('hash_on: query_arg'), path: 'upstreams[0].hash_on_query_arg', message: /required/ },
    { name: 'hash_fallback uri_capture without hash_fallback_uri_capture', text: hashing('hash_on: ip', 'hash_fallback: uri_capture'), path: 'upstreams[0].hash_fallback_uri_capture', message: /required/ },
    { name: 'a fallback when hash_on is none', text: hashing('hash_fallback: ip'), path: 'upstreams[0].hash_fallback', message: /must be none when hash_on is none/ },
    { name: 'a fallback when hash_on is cookie', text: hashing('hash_on: cookie', 'hash_on_cookie: s', 'hash_fallback: ip'), path: 'upstreams[0].hash_fallback', message: /must be none when hash_on is cookie/ },
    { name: 'a fallback equal to hash_on', text: hashing('hash_on: ip', 'hash_fallback: ip'), path: 'upstreams[0].hash_fallback', message: /must differ from hash_on/ },
    { name: 'the same header twice (any case)', text: hashing('hash_on: header', 'hash_on_header: X-User', 'hash_fallback: header', 'hash_fallback_header: x-user'), path: 'upstreams[0].hash_fallback_header', message: /must differ/ },
    { name: 'the same query arg twice', text: hashing('hash_on: query_arg', 'hash_on_query_arg: u', 'hash_fallback: query_arg', 'hash_fallback_query_arg: u'), path: 'upstreams[0].hash_fallback_query_arg', message: /must differ/ },
    { name: 'a bad cookie name', text: hashing('hash_on: cookie', 'hash_on_cookie: "a b"'), path: 'upstreams[0].hash_on_cookie', message: /cookie name/ },
    { name: 'a cookie path not starting with /', text: hashing('hash_on: cookie', 'hash_on_cookie: s', 'hash_on_cookie_path: app'), path: 'upstreams[0].hash_on_cookie_path', message: /starting with/ },
    { name: 'slots below Kong\'s range', text: hashing('slots: 9'), path: 'upstreams[0].slots', message: /10/ },
    { name: 'hash_on with algorithm round-robin (refused, not ignored)', text: upstream('hash_on: header', 'hash_on_header: x'), path: 'upstreams[0].hash_on', message: /^not supported with algorithm round-robin/ },
    { name: 'hash_on_cookie with algorithm latency (refused, not ignored)', text: upstream('algorithm: latency', 'hash_on_cookie: s'), path: 'upstreams[0].hash_on_cookie', message: /^not supported with algorithm latency/ },
  ];
  for (const row of REFUSED) {
    it(`refuses ${row.name}, naming its path`, () => {
      const hit = issuesOf(row.text).find((i) => i.path === row.path);
      assert.ok(hit, `no issue at ${row.path}: ${JSON.stringify(issuesOf(row.text))}`);
      assert.match(hit.message, row.message);
    });
  }

  const ACCEPTED: readonly { name: string; text: string }[] = [
    { name: 'header with a header fallback of another name', text: hashing('hash_on: header', 'hash_on_header: x-a', 'hash_fallback: header', 'hash_fallback_header: x-b') },
    { name: 'consumer falling back to ip', text: hashing('hash_on: consumer', 'hash_fallback: ip') },
    { name: 'cookie with its path', text: hashing('hash_on: cookie', 'hash_on_cookie: sticky', 'hash_on_cookie_path: /app') },
    { name: 'path, query_arg, uri_capture', text: hashing('hash_on: path', 'hash_fallback: query_arg', 'hash_fallback_query_arg: u') },
    { name: 'uri_capture falling back to another capture', text: hashing('hash_on: uri_capture', 'hash_on_uri_capture: a', 'hash_fallback: uri_capture', 'hash_fallback_uri_capture: b') },
    { name: 'consistent-hashing with hash_on none (Kong: one key for all)', text: hashing('slots: 100') },
    { name: 'Kong\'s defaults on round-robin (hash_on none, cookie path /)', text: upstream('hash_on: none', 'hash_fallback: none', 'hash_on_cookie_path: /', 'slots: 1000') },
    { name: 'latency', text: upstream('algorithm: latency') },
  ];
  for (const row of ACCEPTED) {
    it(`accepts ${row.name}`, () => assert.deepEqual(issuesOf(row.text), []));
  }
});

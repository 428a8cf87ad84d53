import assert from 'node:assert/strict';
import type { KongRoute } from '../../../../proto/config-schema.js';
import { compileRouteEntries, matchRoute, prefixMatches, ruleFor, upstreamPath, type RouteRule } from '../../../../agent/table/router.js';

const rule = (name: string): RouteRule => ({ name, serviceName: `svc-${name}`, stripPath: true, preserveHost: false, httpsRedirectStatus: null });

/** Compiles named routes in config order; match() returns the winning route's name. */
function table(routes: Record<string, KongRoute>) {
  const entries = compileRouteEntries(Object.entries(routes).map(([name, route]) => ({ route, rule: rule(name) })));
  return (method: string, host: string, path: string): string | undefined => matchRoute(entries, method, host, path)?.rule.name;
}

describe('prefixMatches', () => {
  const ROWS: readonly [string, string, boolean][] = [
    ['/users', '/users', true],
    ['/users', '/users/', true],
    ['/users', '/users/1', true],
    ['/users', '/users/1/orders', true],
    ['/users', '/usersX', false],
    ['/users', '/users-admin', false],
    ['/users', '/user', false],
    ['/users', '/', false],
    ['/users', '/Users', false],
    ['/users/', '/users/', true],
    ['/users/', '/users/1', true],
    ['/users/', '/users', false],
    ['/', '/', true],
    ['/', '/anything/at/all', true],
    ['/api/v1', '/api/v1/x', true],
    ['/api/v1', '/api/v10', false],
  ];
  for (const [prefix, path, want] of ROWS) {
    it(`"${prefix}" ${want ? 'matches' : 'does not match'} "${path}"`, () => assert.equal(prefixMatches(prefix, path), want));
  }
});

describe('compileRouteEntries + matchRoute', () => {
  it('returns undefined when nothing matches', () => {
    const match = table({ users: { paths: ['/users'] } });
    assert.equal(match('GET', 'h', '/orders'), undefined);
    assert.equal(table({})('GET', 'h', '/'), undefined);
  });

  it('reports the matched prefix', () => {
    const entries = compileRouteEntries([{ route: { paths: ['/a', '/a/b'] }, rule: rule('r') }]);
    assert.equal(matchRoute(entries, 'GET', 'h', '/a/b/c')?.prefix, '/a/b');
    assert.equal(matchRoute(entries, 'GET', 'h', '/a/x')?.prefix, '/a');
    const hostOnly = compileRouteEntries([{ route: { hosts: ['h'] }, rule: rule('r') }]);
    assert.equal(matchRoute(hostOnly, 'GET', 'h', '/a')?.prefix, '');
  });

  it('needs every field of a route to match', () => {
    const match = table({ r: { paths: ['/a'], methods: ['GET'], hosts: ['example.com'] } });
    assert.equal(match('GET', 'example.com', '/a'), 'r');
    assert.equal(match('POST', 'example.com', '/a'), undefined);
    assert.equal(match('GET', 'other.com', '/a'), undefined);
    assert.equal(match('GET', 'example.com', '/b'), undefined);
  });

  it('matches any of several methods, hosts or paths', () => {
    const match = table({ r: { paths: ['/a', '/b'], methods: ['GET', 'HEAD'], hosts: ['x.com', 'y.com'] } });
    assert.equal(match('HEAD', 'y.com', '/b/1'), 'r');
    assert.equal(match('GET', 'x.com', '/a'), 'r');
  });

  it('treats empty lists as "any"', () => {
    const match = table({ r: { paths: [], methods: [], hosts: ['h'] } });
    assert.equal(match('DELETE', 'h', '/whatever'), 'r');
  });

  describe('order', () => {
    it('a methods+hosts route beats a path-only one, whatever the config order', () => {
      const routes = { pathOnly: { paths: ['/api/v1/users'] }, methodsHosts: { methods: ['GET'], hosts: ['api.example.com'] } };
      assert.equal(table(routes)('GET', 'api.example.com', '/api/v1/users'), 'methodsHosts');
      const reversed = { methodsHosts: routes.methodsHosts, pathOnly: routes.pathOnly };
      assert.equal(table(reversed)('GET', 'api.example.com', '/api/v1/users'), 'methodsHosts');
      assert.equal(table(routes)('POST', 'api.example.com', '/api/v1/users'), 'pathOnly');
    });

    it('a hosts route beats a path-only one', () => {
      const match = table({ pathOnly: { paths: ['/a'] }, hostOnly: { hosts: ['h.com'] } });
      assert.equal(match('GET', 'h.com', '/a'), 'hostOnly');
      assert.equal(match('GET', 'other.com', '/a'), 'pathOnly');
    });

    it('a plain host beats a wildcard host', () => {
      const match = table({ wild: { hosts: ['*.example.com'] }, tail: { hosts: ['api.example.*'] }, plain: { hosts: ['api.example.com'] } });
      assert.equal(match('GET', 'api.example.com', '/'), 'plain');
      assert.equal(match('GET', 'www.example.com', '/'), 'wild');
      assert.equal(match('GET', 'api.example.org', '/'), 'tail');
    });

    it('a route mixing plain and wildcard hosts ranks as wildcard', () => {
      const match = table({ mixed: { hosts: ['*.example.com', 'api.example.com'] }, plain: { hosts: ['api.example.com'] } });
      assert.equal(match('GET', 'api.example.com', '/'), 'plain');
    });

    it('the longer prefix wins, whatever the config order', () => {
      const match = table({ root: { paths: ['/'] }, short: { paths: ['/api'] }, long: { paths: ['/api/v1'] } });
      assert.equal(match('GET', 'h', '/api/v1/users'), 'long');
      assert.equal(match('GET', 'h', '/api/v2'), 'short');
      assert.equal(match('GET', 'h', '/other'), 'root');
    });

    it('ranks each path of a route by its own length', () => {
      const match = table({ multi: { paths: ['/x', '/api/v1/special'] }, mid: { paths: ['/api/v1'] } });
      assert.equal(match('GET', 'h', '/api/v1/special/1'), 'multi');
      assert.equal(match('GET', 'h', '/api/v1/other'), 'mid');
    });

    it('config order breaks ties', () => {
      assert.equal(table({ first: { paths: ['/a'] }, second: { paths: ['/a'] } })('GET', 'h', '/a'), 'first');
      assert.equal(table({ second: { paths: ['/a'] }, first: { paths: ['/a'] } })('GET', 'h', '/a'), 'second');
      assert.equal(table({ one: { hosts: ['h'] }, two: { hosts: ['h'] } })('GET', 'h', '/'), 'one');
    });

    // Regression (found as a bug): Kong counts paths as a match category (its router weighs HOST, HEADER, URI, METHOD, ...;
    // "the Route with the most rules is evaluated first"), but compileRouteEntries only counts methods
    // and hosts. A {methods, paths} route (2 rules in Kong) therefore loses to a {hosts} route (1 rule).
    // Input: GET host "h.com" path "/x"; routes hostOnly {hosts:[h.com]} then methodsPaths {methods:[GET], paths:[/x]}.
    // Expected (Kong): methodsPaths. Actual: hostOnly.
    it('paths count as a match category, as in Kong', () => {
      const match = table({ hostOnly: { hosts: ['h.com'] }, methodsPaths: { methods: ['GET'], paths: ['/x'] } });
      assert.equal(match('GET', 'h.com', '/x'), 'methodsPaths');
    });
  });

  describe('hosts', () => {
    const ROWS: readonly [string, string, boolean][] = [
      ['example.com', 'example.com', true],
      ['example.com', 'example.com:8080', true],
      ['example.com', 'www.example.com', false],
      ['example.com', 'example.org', false],
      ['Example.COM', 'example.com', true],
      ['example.com:8080', 'example.com:8080', true],
      ['example.com:8080', 'example.com:9090', false],
      ['example.com:8080', 'example.com', false],
      ['*.example.com', 'api.example.com', true],
      ['*.example.com', 'a.b.example.com', true],
      ['*.example.com', 'api.example.com:8443', true],
      ['*.example.com', 'example.com', false],
      ['*.example.com', '.example.com', false],
      ['*.example.com', 'apiexample.com', false],
      ['*.example.com', 'api.example.com.evil', false],
      ['example.*', 'example.com', true],
      ['example.*', 'example.org:8080', true],
      ['example.*', 'example.', false],
      ['example.*', 'www.example.com', false],
      ['example.*', 'examplecom', false],
    ];
    for (const [routeHost, requestHost, want] of ROWS) {
      it(`route host "${routeHost}" ${want ? 'matches' : 'does not match'} request host "${requestHost}"`, () => {
        assert.equal(table({ r: { hosts: [routeHost] } })('GET', requestHost, '/'), want ? 'r' : undefined);
      });
    }

    // Regression (found as a bug): the schema accepts a wildcard host with a port ("*.example.com:8080", Kong supports it),
    // but compileHosts keeps the port in the suffix (".example.com:8080") while hostMatches compares
    // suffixes against the host with its port stripped, so such a route can never match.
    // Input: route hosts ["*.example.com:8080"], request host "api.example.com:8080".
    // Expected: match. Actual: undefined (no route).
    it('a wildcard host with a port matches that port', () => {
      const match = table({ r: { hosts: ['*.example.com:8080'] } });
      assert.equal(match('GET', 'api.example.com:8080', '/'), 'r');
      assert.equal(match('GET', 'api.example.com:9090', '/'), undefined);
    });
  });
});

describe('upstreamPath', () => {
  // [service path, matched prefix, request path, strip_path, upstream path]
  const ROWS: readonly [string, string, string, boolean, string][] = [
    // strip on
    ['', '/users', '/users/1', true, '/1'],
    ['', '/users', '/users', true, '/'],
    ['', '/users', '/users/', true, '/'],
    ['/', '/users', '/users/1', true, '/1'],
    ['/', '/users', '/users', true, '/'],
    ['/base', '/users', '/users/1', true, '/base/1'],
    ['/base', '/users', '/users', true, '/base'],
    ['/base', '/users', '/users/', true, '/base/'],
    ['/base', '/users', '/users/1/', true, '/base/1/'],
    ['/base/', '/users', '/users/1', true, '/base/1'],
    ['/base/', '/users', '/users/', true, '/base/'],
    // prefix with a trailing slash
    ['', '/users/', '/users/1', true, '/1'],
    ['', '/users/', '/users/', true, '/'],
    ['/base', '/users/', '/users/1', true, '/base/1'],
    ['/base/', '/users/', '/users/1', true, '/base/1'],
    ['/base/', '/users/', '/users/', true, '/base/'],
    ['/base', '/', '/x', true, '/base/x'],
    ['/base', '/', '/', true, '/base'],
    // route without paths: nothing to strip
    ['', '', '/a/b', true, '/a/b'],
    ['/base', '', '/a/b', true, '/base/a/b'],
    // strip off
    ['', '/users', '/users/1', false, '/users/1'],
    ['/', '/users', '/users/1', false, '/users/1'],
    ['/base', '/users', '/users/1', false, '/base/users/1'],
    ['/base/', '/users', '/users/1', false, '/base/users/1'],
    ['/base', '/users', '/users', false, '/base/users'],
    ['/base', '/users/', '/users/', false, '/base/users/'],
    ['', '/', '/', false, '/'],
  ];
  for (const [servicePath, prefix, path, strip, want] of ROWS) {
    it(`service "${servicePath}", prefix "${prefix}", ${path}, strip ${strip} → ${want}`, () => {
      assert.equal(upstreamPath(servicePath, prefix, path, strip), want);
    });
  }

  // Regression (found as a bug): these differ from Kong's path_handling "v0" (the default; kong/router/utils.lua
  // get_upstream_uri_v0), so a trailing slash is lost or invented compared with Kong:
  //   service "/s",  prefix "/users/", request "/users/", strip → Kong "/s/",  meshgate "/s"
  //   service "/s/", prefix "/users",  request "/users",  strip → Kong "/s",   meshgate "/s/"
  //   service "/s",  prefix "/",       request "/",       strip off → Kong "/s", meshgate "/s/"
  //   service "/s",  no paths (""),    request "/",       strip → Kong "/s",   meshgate "/s/"
  const KONG_V0: readonly [string, string, string, boolean, string][] = [
    ['/s', '/users/', '/users/', true, '/s/'],
    ['/s/', '/users', '/users', true, '/s'],
    ['/s', '/', '/', false, '/s'],
    ['/s', '', '/', true, '/s'],
  ];
  it('path_handling v0 (Kong\'s default, the only one meshgate has): a trailing slash is kept or dropped as Kong v0 does', () => {
    for (const [servicePath, prefix, path, strip, want] of KONG_V0) {
      assert.equal(upstreamPath(servicePath, prefix, path, strip), want, `service "${servicePath}", prefix "${prefix}", ${path}, strip ${String(strip)}`);
    }
  });
});

describe('_format_version', () => {
  it('_format_version: in a 1.1 or 2.1 file a path with regex characters is a regex (decK adds "~" when it migrates); in 3.0 it is a plain prefix', () => {
    const winner = (formatVersion: string, path: string) =>
      matchRoute(compileRouteEntries([{ route: { paths: ['/items/\\d+$'] }, rule: rule('r') }], formatVersion), 'GET', 'h', path)?.rule.name;
    assert.equal(winner('1.1', '/items/42'), 'r');
    assert.equal(winner('2.1', '/items/42'), 'r');
    assert.equal(winner('2.1', '/items/x'), undefined);
    assert.equal(winner('3.0', '/items/42'), undefined);
    assert.equal(winner('3.0', '/items/\\d+$'), 'r', 'in 3.0 the text is a literal prefix');
  });
});

describe('ruleFor', () => {
  it('applies Kong route defaults and names unnamed routes after their service', () => {
    assert.deepEqual(ruleFor({ paths: ['/a'] }, 'users', 2), { name: 'users.routes[2]', serviceName: 'users', stripPath: true, preserveHost: false, httpsRedirectStatus: null });
  });
  it('keeps explicit values', () => {
    assert.deepEqual(ruleFor({ name: 'r', strip_path: false, preserve_host: true }, 'users', 0), { name: 'r', serviceName: 'users', stripPath: false, preserveHost: true, httpsRedirectStatus: null });
  });
});

describe('router: protocols and snis', function () {
  const routes: Record<string, KongRoute> = {
    'https-only': { paths: ['/s'], protocols: ['https'] },
    'http-only': { paths: ['/p'], protocols: ['http'] },
    'sni-a': { paths: ['/x'], snis: ['a.test'] },
    'sni-wild': { paths: ['/x'], snis: ['*.b.test'] },
    any: { paths: ['/'] },
  };
  const entries = compileRouteEntries(Object.entries(routes).map(([name, route]) => ({ route, rule: rule(name) })));
  const cases: [string, 'http' | 'https', string | undefined, string][] = [
    ['/s', 'https', undefined, 'https-only'],
    ['/s', 'http', undefined, 'https-only'], // matched so that it can answer 426 or redirect
    ['/p', 'http', undefined, 'http-only'],
    ['/p', 'https', 'a.test', 'any'],
    ['/x', 'https', 'a.test', 'sni-a'],
    ['/x', 'https', 'A.TEST', 'sni-a'],
    ['/x', 'https', 'q.b.test', 'sni-wild'],
    ['/x', 'https', 'q.r.b.test', 'any'],
    ['/x', 'https', 'c.test', 'any'],
    ['/x', 'http', undefined, 'any'],
  ];
  for (const [path, scheme, sni, want] of cases) {
    it(`${scheme} ${sni ?? '(no SNI)'} ${path} → ${want}`, function () {
      assert.equal(matchRoute(entries, 'GET', 'h', path, {}, { scheme, sni })?.rule.name, want);
    });
  }
  it('sets the https redirect status only for https-only routes (426 by default)', function () {
    assert.equal(ruleFor({ paths: ['/'], protocols: ['https'] }, 's', 0).httpsRedirectStatus, 426);
    assert.equal(ruleFor({ paths: ['/'], protocols: ['https'], https_redirect_status_code: 301 }, 's', 0).httpsRedirectStatus, 301);
    assert.equal(ruleFor({ paths: ['/'], protocols: ['http', 'https'], https_redirect_status_code: 301 }, 's', 0).httpsRedirectStatus, null);
    assert.equal(ruleFor({ paths: ['/'] }, 's', 0).httpsRedirectStatus, null);
  });
});

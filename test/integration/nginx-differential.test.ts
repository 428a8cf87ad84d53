// A differential test against nginx (docs/http-strictness.md, "Against nginx"): one corpus of raw
// requests, valid and malformed, sent to a meshgate edge and to nginx with the same route in front
// of the same recording upstream. Every request is either answered alike (same status class, and
// forwarded by both or by neither) or listed in DIFFERENCES with the reason meshgate differs; a
// difference not listed, or a listed one that went away, fails the test.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { useHarness, waitFor, type AgentHandle } from '../support/harness.js';
import { rawExchange } from '../support/raw-client.js';
import { startRecordingUpstream, type RecordingUpstream } from '../support/recording-upstream.js';

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
const H = 'Host: a.example\r\n';

/** name → raw request; every one targets the route /rec (or tries to escape it) */
const CORPUS: Readonly<Record<string, string>> = {
  'plain GET': `GET /rec/a HTTP/1.1\r\n${H}\r\n`,
  'POST with a body': `POST /rec/a HTTP/1.1\r\n${H}Content-Length: 3\r\n\r\nabc`,
  'chunked POST': `POST /rec/a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
  'HTTP/1.0 without Host': 'GET /rec/a HTTP/1.0\r\n\r\n',
  'HTTP/1.1 without Host': 'GET /rec/a HTTP/1.1\r\n\r\n',
  'two Host fields': `GET /rec/a HTTP/1.1\r\n${H}${H}\r\n`,
  'Host with userinfo': 'GET /rec/a HTTP/1.1\r\nHost: u@a.example\r\n\r\n',
  'Host with a path': 'GET /rec/a HTTP/1.1\r\nHost: a.example/x\r\n\r\n',
  'Host upper-case with a trailing dot': 'GET /rec/a HTTP/1.1\r\nHost: A.Example.\r\n\r\n',
  'absolute-form target': `GET http://a.example/rec/a HTTP/1.1\r\n${H}\r\n`,
  'Content-Length and Transfer-Encoding': `POST /rec/a HTTP/1.1\r\n${H}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
  'two Content-Lengths': `POST /rec/a HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd`,
  'HTTP/1.0 with Transfer-Encoding': `POST /rec/a HTTP/1.0\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
  'obs-fold header': `GET /rec/a HTTP/1.1\r\n${H}X-A: 1\r\n 2\r\n\r\n`,
  'header without a colon': `GET /rec/a HTTP/1.1\r\n${H}Broken\r\n\r\n`,
  'space before the colon': `GET /rec/a HTTP/1.1\r\n${H}X-A : 1\r\n\r\n`,
  'underscored header': `GET /rec/a HTTP/1.1\r\n${H}X_Api_Key: 1\r\n\r\n`,
  'two Authorization fields': `GET /rec/a HTTP/1.1\r\n${H}Authorization: a\r\nAuthorization: b\r\n\r\n`,
  'a space in the target': `GET /rec/a b HTTP/1.1\r\n${H}\r\n`,
  'HTTP/2.0 on the request line': `GET /rec/a HTTP/2.0\r\n${H}\r\n`,
  'unknown version HTTP/1.2': `GET /rec/a HTTP/1.2\r\n${H}\r\n`,
  'lower-case method': `get /rec/a HTTP/1.1\r\n${H}\r\n`,
  'dot segments': `GET /rec/x/../a HTTP/1.1\r\n${H}\r\n`,
  'dot segments leaving the route': `GET /rec/../admin HTTP/1.1\r\n${H}\r\n`,
  'encoded dot segments': `GET /rec/%2e%2e/admin HTTP/1.1\r\n${H}\r\n`,
  'merged slashes': `GET //rec//a HTTP/1.1\r\n${H}\r\n`,
  'encoded slash': `GET /rec/a%2Fb HTTP/1.1\r\n${H}\r\n`,
  'backslash': `GET /rec/a\\b HTTP/1.1\r\n${H}\r\n`,
  '..; segment': `GET /rec/..;/admin HTTP/1.1\r\n${H}\r\n`,
  'path parameters': `GET /rec/a;v=1 HTTP/1.1\r\n${H}\r\n`,
  'fragment': `GET /rec/a#frag HTTP/1.1\r\n${H}\r\n`,
  'overlong UTF-8 dot': `GET /rec/%C0%AE%C0%AE/admin HTTP/1.1\r\n${H}\r\n`,
  'bad escape': `GET /rec/%zz HTTP/1.1\r\n${H}\r\n`,
  'NUL escape': `GET /rec/%00 HTTP/1.1\r\n${H}\r\n`,
  'asterisk-form': `OPTIONS * HTTP/1.1\r\n${H}\r\n`,
  'no route': `GET /elsewhere HTTP/1.1\r\n${H}\r\n`,
};

/** what the edge and nginx answered differently, and why meshgate does what it does (docs/http-strictness.md) */
export const DIFFERENCES: Readonly<Record<string, string>> = {
  'Host with userinfo': 'RFC 9110 §7.2: Host is uri-host[:port]; userinfo has been used to confuse authority parsers (nginx forwards it)',
  'header without a colon': 'RFC 9112 §5: not a field line; nginx skips it (ignore_invalid_headers), a back end may read it otherwise. Node\'s parser refuses it',
  'unknown version HTTP/1.2': 'Node\'s parser refuses minor versions above 1.1 (nginx reads them as 1.1); no client sends one',
  'encoded slash': 'edge.http.escaped_slashes reject (Envoy\'s recommended edge setting); nginx forwards the client\'s URI as it came',
  'backslash': 'some servers read "\\" as "/"; nginx forwards it',
  '..; segment': 'Tomcat and Spring read "..;" as ".."; nginx forwards it unchanged (the nginx + Tomcat "..;" traversal)',
  'fragment': 'RFC 9112 §3.2: no fragment in a request-target; nginx forwards "#frag" to the back end',
  'overlong UTF-8 dot': 'RFC 3629: not UTF-8; a lenient decoder reads %C0%AE as "."; nginx forwards it',
};

type Class = '2xx' | '3xx' | '4xx' | '5xx' | 'none';
const classOf = (status: number): Class => (status >= 200 && status < 600 ? `${Math.floor(status / 100)}xx` as Class : 'none');

describe('differential: meshgate edge vs nginx on one corpus of raw requests', function () {
  const harness = useHarness('nginx-differential');
  let up: RecordingUpstream;
  let edge: AgentHandle;
  let nginx: ChildProcess | undefined;
  let nginxPort = 0;

  before(async function () {
    if (NGINX === undefined) this.skip(); // deploy/setup/install-bench-tools.sh installs one
    up = await startRecordingUpstream();
    const h = harness();
    const [edgePort, adminPort] = [await h.port(), await h.port()];
    nginxPort = await h.port();
    const file = h.writeYaml('edge.yaml', {
      consul: { address: h.consul.httpAddress },
      agent: { node: 'edge-differential', admin: `127.0.0.1:${adminPort}`, log_level: 'info' },
      edge: {
        listen: `127.0.0.1:${edgePort}`,
        kong: { _format_version: '3.0', services: [{ name: 'rec', url: `http://127.0.0.1:${up.port}`, routes: [{ name: 'rec', paths: ['/rec'], strip_path: false }] }] },
      },
    });
    const prefix = path.join(h.tmp, 'nginx');
    mkdirSync(path.join(prefix, 'logs'), { recursive: true });
    const conf = h.writeFile('nginx.conf', `daemon off;
master_process off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body; proxy_temp_path ${prefix}/proxy; fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi; scgi_temp_path ${prefix}/scgi;
  server {
    listen 127.0.0.1:${nginxPort};
    location /rec { proxy_pass http://127.0.0.1:${up.port}; proxy_http_version 1.1; proxy_set_header Connection ""; }
    location / { return 404; }
  }
}
`);
    nginx = spawn(NGINX!, ['-p', prefix, '-c', conf], { stdio: 'ignore' });
    edge = await h.startAgent('edge-differential', file, { adminPort, port: edgePort });
    await waitFor(async () => { try { return (await rawExchange(nginxPort, `GET /elsewhere HTTP/1.1\r\n${H}\r\n`)).status === 404; } catch { return false; } },
      { timeoutMs: 10_000, intervalMs: 100, what: 'nginx to answer' });
  });
  after(async () => {
    if (nginx?.pid !== undefined && nginx.exitCode === null) {
      nginx.kill('SIGTERM');
      await new Promise((r) => nginx!.once('exit', r));
    }
    await up?.close();
  });

  /** the answer's status class and whether the upstream got a request for it */
  async function outcome(port: number, raw: string): Promise<{ cls: Class; status: number; forwarded: boolean }> {
    const before = up.requests.length;
    let status = 0;
    try { status = (await rawExchange(port, raw, 3000)).status; } catch { status = 0; }
    await new Promise((r) => setTimeout(r, 30));
    return { cls: classOf(status), status, forwarded: up.requests.length > before };
  }

  it('answers every request of the corpus as nginx does, except the listed differences', async function () {
    this.timeout(120_000);
    const found: Record<string, string> = {};
    for (const [name, raw] of Object.entries(CORPUS)) {
      const [m, n] = [await outcome(edge.port, raw), await outcome(nginxPort, raw)];
      if (m.cls !== n.cls || m.forwarded !== n.forwarded) {
        found[name] = `meshgate ${m.status || 'no answer'}${m.forwarded ? ' forwarded' : ''}, nginx ${n.status || 'no answer'}${n.forwarded ? ' forwarded' : ''}`;
      }
    }
    const unlisted = Object.keys(found).filter((k) => !(k in DIFFERENCES));
    const gone = Object.keys(DIFFERENCES).filter((k) => !(k in found));
    assert.deepEqual({ unlisted: unlisted.map((k) => `${k}: ${found[k]}`), gone }, { unlisted: [], gone: [] });
  });
});

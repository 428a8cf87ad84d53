// The decK file of the WebSocket tunnel tests (websocket.test.ts over HTTP/1.1, websocket-h2.test.ts over
// HTTP/2): the sample service `chat` behind its sidecars, open, with key-auth, jwt and rate limiting,
// and with a short read_timeout (the tunnel's idle timeout, nginx's proxy_read_timeout).
export function chatKong(moreRoutes: readonly Record<string, unknown>[] = []): Record<string, unknown> {
  return {
    _format_version: '3.0',
    services: [
      {
        name: 'chat', url: 'http://chat',
        routes: [
          { name: 'ws', paths: ['/ws'], strip_path: false },
          { name: 'keyed', paths: ['/keyed'], strip_path: false, plugins: [{ name: 'key-auth' }] },
          { name: 'jwtd', paths: ['/jwtd'], strip_path: false, plugins: [{ name: 'jwt' }] },
          // hour: a minute window could roll over between the handshakes
          { name: 'limited', paths: ['/limited'], strip_path: false, plugins: [{ name: 'rate-limiting', config: { hour: 2, policy: 'local' } }] },
          ...moreRoutes,
        ],
      },
      { name: 'chat-idle', url: 'http://chat', read_timeout: 1500, routes: [{ name: 'idle', paths: ['/idle'], strip_path: false }] },
    ],
    consumers: [{ username: 'alice', keyauth_credentials: [{ key: 'alice-key' }] }],
  };
}

// The request handler both Node reference forwarders share (minimal-forwarder.mjs and
// mtls-forwarder.mjs): hop-by-hop headers dropped, both bodies streamed, 502 on failure.
const HOP = ['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer'];

/** (req, res) => void forwarding every request through `pool` (an undici Pool). */
export function forwardThrough(pool) {
  return (req, res) => {
    const headers = { ...req.headers }; // host stays as the client sent it
    for (const h of HOP) delete headers[h];
    const hasBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0'
      : req.headers['transfer-encoding'] !== undefined;
    pool.request({ method: req.method, path: req.url, headers, body: hasBody ? req : null })
      .then(({ statusCode, headers: up, body }) => {
        for (const h of HOP) delete up[h];
        res.writeHead(statusCode, up);
        body.on('error', () => res.destroy());
        res.on('close', () => { if (!body.readableEnded) body.destroy(); });
        body.pipe(res);
      }, (err) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`bad gateway: ${err.code ?? err.message}\n`);
      });
  };
}

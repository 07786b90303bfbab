// serve.mjs: a tiny static file server (node:http, loopback only) for the inspector and the
// browser tests. WebAssembly and ES modules need HTTP (not file://) and the right MIME types.
//
//   node bindings/wasm/inspector/serve.mjs [PORT]   # then open http://127.0.0.1:PORT/bindings/wasm/inspector/
//
// As a module: `const s = await serveStatic({ root, prefixes: ['/bindings/wasm/'] });
// s.url; await s.close();` (port 0, the default, picks a free port).

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

/**
 * Serves files under `root`, only below the URL `prefixes` (all of `root` when omitted).
 * @param {{ root: string, prefixes?: string[], port?: number, host?: string }} opts
 * @returns {Promise<{ url: string, port: number, close(): Promise<void> }>}
 */
export async function serveStatic({ root, prefixes = ['/'], port = 0, host = '127.0.0.1' }) {
  const base = resolve(root);
  const server = createServer(async (req, res) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      let path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      if (path.endsWith('/')) path += 'index.html';
      const file = normalize(join(base, path));
      const allowed = prefixes.some((p) => path.startsWith(p));
      if (!allowed || (file !== base && !file.startsWith(base + sep))) {
        res.writeHead(404).end('not found');
        return;
      }
      const st = await stat(file).catch(() => undefined);
      if (!st || !st.isFile()) {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': st.size,
        'cache-control': 'no-store',
      });
      if (req.method === 'HEAD') res.end();
      else createReadStream(file).pipe(res);
    } catch (e) {
      res.writeHead(500).end(String(e && e.message));
    }
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, ok);
  });
  const actual = server.address().port;
  return {
    url: `http://${host}:${actual}`,
    port: actual,
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections?.();
        server.close(() => ok());
      }),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // The page imports the cachekit/web bundle from bindings/node/dist (built by
  // `node scripts/build-web.mjs` there), so serve the repository root, those two folders only.
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const s = await serveStatic({ root, prefixes: ['/bindings/wasm/inspector/', '/bindings/node/dist/'], port: Number(process.argv[2] ?? 8787) });
  console.log(`cachekit inspector: ${s.url}/bindings/wasm/inspector/  (Ctrl-C stops)`);
}

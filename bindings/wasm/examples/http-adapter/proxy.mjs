// proxy.mjs: a small HTTP → Redis proxy speaking the Upstash REST format (the part
// http-adapter.mjs uses), forwarding to a real redis-server with ioredis. For tests and local
// development; put a real gateway (or Upstash itself) in production.
//
//   node proxy.mjs --redis redis://127.0.0.1:6379 [--port 8079] [--token SECRET]
//
// Routes (POST; GET works for the path form):
//   /             a JSON command array             → {"result": …} | 400 {"error": "…"}
//   /pipeline     a JSON array of command arrays   → [{"result"} | {"error"}, …]
//   /cmd/a/b      path segments are the command; a non-empty body is appended as the last
//                 argument (raw bytes) and query parameters after it (`?EX=60` → EX 60)
// `Authorization: Bearer TOKEN` (or `?_token=`) is required when a token is set (401 otherwise).
// `Upstash-Encoding: base64` makes every string of a result base64, except the reply `OK`
// (ioredis does not tell a status reply from a bulk string, so a bulk string `OK` is left as
// is too; cachekit entries are never the two bytes `OK`). Without it strings are UTF-8.
//
// As a module: `const p = await startProxy({ redis: url, token }); p.url; await p.close();`

import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import Redis from 'ioredis';

const OK = Buffer.from('OK');

function encode(reply, base64, top) {
  if (Buffer.isBuffer(reply)) {
    if (top && reply.equals(OK)) return 'OK';
    return base64 ? reply.toString('base64') : reply.toString('utf8');
  }
  if (Array.isArray(reply)) return reply.map((r) => encode(r, base64, false));
  return reply; // integers and null
}

function isCommand(c) {
  return Array.isArray(c) && c.length > 0 && c.every((a) => typeof a === 'string' || typeof a === 'number');
}

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks);
}

/**
 * Starts the proxy.
 * @param {{ redis: string, token?: string, port?: number, host?: string }} opts
 * @returns {Promise<{ url: string, port: number, close(): Promise<void> }>}
 */
export async function startProxy({ redis: redisUrl, token, port = 0, host = '127.0.0.1' }) {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  const run = (cmd) => redis.callBuffer(String(cmd[0]), ...cmd.slice(1).map((a) => (Buffer.isBuffer(a) ? a : String(a))));

  const server = createServer(async (req, res) => {
    const reply = (status, body) => {
      const json = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
      res.end(json);
    };
    try {
      const u = new URL(req.url, 'http://proxy');
      const auth = req.headers.authorization ?? (u.searchParams.has('_token') ? `Bearer ${u.searchParams.get('_token')}` : undefined);
      u.searchParams.delete('_token');
      if (token && auth !== `Bearer ${token}`) return reply(401, { error: 'Unauthorized' });
      if (req.method !== 'POST' && req.method !== 'GET') return reply(405, { error: 'Method Not Allowed' });
      const base64 = String(req.headers['upstash-encoding'] ?? '').toLowerCase() === 'base64';
      const body = await readBody(req);
      const path = u.pathname.replace(/\/+$/, '');
      if (path === '' || path === '/pipeline') {
        let parsed;
        try {
          parsed = JSON.parse(body.toString('utf8'));
        } catch {
          return reply(400, { error: 'ERR the body is not JSON' });
        }
        if (path === '') {
          if (!isCommand(parsed)) return reply(400, { error: 'ERR expected a command array' });
          try {
            return reply(200, { result: encode(await run(parsed), base64, true) });
          } catch (e) {
            return reply(400, { error: e.message });
          }
        }
        if (!Array.isArray(parsed) || !parsed.every(isCommand)) return reply(400, { error: 'ERR expected an array of command arrays' });
        // ioredis sends these back to back on one connection: a pipeline.
        const results = await Promise.all(
          parsed.map((c) => run(c).then((r) => ({ result: encode(r, base64, true) }), (e) => ({ error: e.message }))),
        );
        return reply(200, results);
      }
      const cmd = path.slice(1).split('/').map(decodeURIComponent);
      if (body.length > 0) cmd.push(body);
      for (const [k, v] of u.searchParams) cmd.push(k, ...(v === '' ? [] : [v]));
      try {
        return reply(200, { result: encode(await run(cmd), base64, true) });
      } catch (e) {
        return reply(400, { error: e.message });
      }
    } catch (e) {
      return reply(500, { error: `proxy: ${e.message}` });
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
    async close() {
      server.closeAllConnections?.();
      await new Promise((ok) => server.close(() => ok()));
      redis.disconnect();
    },
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const flag = (name, dflt) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : dflt;
  };
  const p = await startProxy({
    redis: flag('redis', process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'),
    token: flag('token', process.env.PROXY_TOKEN),
    port: Number(flag('port', '8079')),
  });
  console.log(`HTTP Redis proxy on ${p.url} → ${flag('redis', process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')}`);
}

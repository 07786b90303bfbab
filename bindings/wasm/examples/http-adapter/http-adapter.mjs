// http-adapter.mjs: a cachekit RedisAdapter over an HTTP Redis proxy with `fetch`, for
// runtimes that have no TCP Redis client (edge functions, workers, Deno, browsers behind a
// proxy you trust). The wire format is Upstash's REST API:
//
//   POST {url}            body: a JSON command array, ["SET", "k", "v", "EX", "60"]
//   POST {url}/pipeline   body: an array of command arrays; reply: [{result}|{error}, …]
//   POST {url}/set/{key}?EX=60   body: the raw value bytes (binary-safe writes)
//   reply: {"result": …} or {"error": "…"}; with `Upstash-Encoding: base64` every string in
//   the result is base64 (the status `OK` excepted), so binary values come back intact.
//   Authorization: Bearer {token}
//
//   import { createCache } from 'cachekit';
//   import { httpRedisAdapter } from './http-adapter.mjs';
//   const cache = createCache({
//     engine: 'wasm',
//     redis: httpRedisAdapter({ url: process.env.REDIS_REST_URL, token: process.env.REDIS_REST_TOKEN }),
//   });
//
// Plain fetch, atob and TextDecoder: no Buffer, no Node APIs. proxy.mjs beside this file is a
// small Node server speaking the same format over a real redis-server, for tests and local use.

const text = new TextDecoder();

/** base64 text → bytes. @param {string} s */
function fromBase64(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** A bulk-string reply (base64 under `Upstash-Encoding: base64`) → bytes; `null` stays.
 * @param {string | null | undefined} r */
const bytes = (r) => (r === null || r === undefined ? null : fromBase64(r));

/** An error reply of the proxy (`{error}`), with the HTTP status. */
export class HttpRedisError extends Error {
  /** @param {string} message @param {number} status */
  constructor(message, status) {
    super(message);
    this.status = status;
  }
  get name() {
    return 'HttpRedisError';
  }
}

/**
 * A RedisAdapter over an Upstash-style REST endpoint.
 * @param {object} opts
 * @param {string} opts.url the endpoint (e.g. `https://…upstash.io`, or proxy.mjs's URL)
 * @param {string} [opts.token] sent as `Authorization: Bearer {token}`
 * @param {typeof fetch} [opts.fetch] the fetch to use (default: the global one)
 * @param {Record<string, string>} [opts.headers] extra request headers
 * @returns {import('cachekit').RedisAdapter<Uint8Array>}
 */
export function httpRedisAdapter({ url, token, fetch: doFetch = globalThis.fetch, headers = {} }) {
  if (typeof url !== 'string' || url === '') throw new TypeError('httpRedisAdapter: url is required');
  if (typeof doFetch !== 'function') throw new TypeError('httpRedisAdapter: no fetch in this runtime; pass one as `fetch`');
  const base = url.replace(/\/+$/, '');
  /** @type {Record<string, string>} */
  const common = { 'upstash-encoding': 'base64', ...headers };
  if (token) common.authorization = `Bearer ${token}`;

  /** @param {string} path @param {string | Uint8Array} body @param {string} contentType @returns {Promise<any>} */
  async function post(path, body, contentType) {
    const res = await doFetch(`${base}${path}`, {
      method: 'POST',
      headers: { ...common, 'content-type': contentType },
      body: /** @type {BodyInit} */ (body),
    });
    let json;
    try {
      json = await res.json();
    } catch {
      throw new HttpRedisError(`HTTP ${res.status} ${res.statusText}: not a JSON reply`, res.status);
    }
    if (!res.ok && !Array.isArray(json)) throw new HttpRedisError(json?.error ?? `HTTP ${res.status}`, res.status);
    return json;
  }

  /** One command: `["GET", key]` → the result. @param {string[]} args @returns {Promise<any>} */
  async function command(args) {
    const json = await post('', JSON.stringify(args), 'application/json');
    if (json.error !== undefined) throw new HttpRedisError(json.error, 400);
    return json.result;
  }

  /** Several commands in one request; the results, or the first error thrown.
   * @param {string[][]} commands @returns {Promise<any[]>} */
  async function pipeline(commands) {
    const json = await post('/pipeline', JSON.stringify(commands), 'application/json');
    if (!Array.isArray(json) || json.length !== commands.length) throw new HttpRedisError('pipeline: malformed reply', 502);
    for (const r of json) if (r.error !== undefined) throw new HttpRedisError(r.error, 400);
    return json.map((r) => r.result);
  }

  return {
    kind: 'http',
    get: async (key) => bytes(await command(['GET', key])),
    async getWithTtl(key) {
      const [value, ttl] = await pipeline([
        ['GET', key],
        ['TTL', key],
      ]);
      return [bytes(value), Number(ttl)];
    },
    exists: async (key) => Number(await command(['EXISTS', key])),
    async set(key, value, ttl) {
      // The value goes as the raw request body (JSON strings cannot carry arbitrary bytes);
      // the arguments after it go as query parameters.
      const query = ttl === null ? '' : `?EX=${encodeURIComponent(String(ttl))}`;
      const json = await post(`/set/${encodeURIComponent(key)}${query}`, value, 'application/octet-stream');
      if (json.error !== undefined) throw new HttpRedisError(json.error, 400);
      return json.result;
    },
    async setNx(key, token, px) {
      const r = await command(['SET', key, token, 'PX', String(px), 'NX']);
      return r === null ? null : 'OK';
    },
    async evalRelease(script, sha1, key, token) {
      try {
        return Number(await command(['EVALSHA', sha1, '1', key, token]));
      } catch (e) {
        if (!(e instanceof Error) || !/NOSCRIPT/i.test(e.message)) throw e;
        return Number(await command(['EVAL', script, '1', key, token]));
      }
    },
    expire: async (key, ttl) => Number(await command(['EXPIRE', key, String(ttl)])),
    del: async (keys) => (keys.length === 0 ? 0 : Number(await command(['DEL', ...keys]))),
    async sadd(key, member, ttl) {
      // NX then GT: the set's life only ever grows (it must outlive every member).
      const [added] = await pipeline([
        ['SADD', key, member],
        ['EXPIRE', key, String(ttl), 'NX'],
        ['EXPIRE', key, String(ttl), 'GT'],
      ]);
      return Number(added);
    },
    smembers: async (key) => ((await command(['SMEMBERS', key])) ?? []).map(bytes),
    async deleteMatching(pattern) {
      let cursor = '0';
      let n = 0;
      do {
        const [next, keys] = await command(['SCAN', cursor, 'MATCH', pattern, 'COUNT', '500']);
        cursor = text.decode(fromBase64(next));
        if (keys.length > 0) n += Number(await command(['UNLINK', ...keys.map((/** @type {string} */ k) => text.decode(fromBase64(k)))]));
      } while (cursor !== '0');
      return n;
    },
    // HTTP is connectionless: nothing to close.
    close: async () => {},
  };
}

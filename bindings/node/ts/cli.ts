#!/usr/bin/env node
/**
 * `npx cachekit`: look at cachekit entries in Redis.
 *
 * @packageDocumentation
 */

import * as P from './protocol';
import type { NativeKeyring } from './protocol';
import { adapterForUrl } from './loader';
import type { RedisAdapter } from './redis';
import { describeEntry, guessMode } from './inspect';
import { fromTagged, toTagged } from './tagged';
import type { EntryMode } from './engine';

const HELP = `cachekit: inspect and edit cachekit entries in Redis

usage:
  cachekit inspect <key>             what the entry at <key> is, and its value as JSON
  cachekit get <key>                 the value at <key> as tagged JSON (exit 1 on a miss)
  cachekit set <key> <json>          write a value (tagged JSON) as a cachekit entry
  cachekit del <key>                 delete <key>
  cachekit key --namespace NS --operation OP --args JSON
                                     print the interop/v1 key of a call
  (get/set/del/inspect also take --namespace NS --operation OP --args JSON instead of <key>)

options:
  --redis URL            Redis to use (default: CACHEKIT_REDIS_URL, REDIS_URL, redis://127.0.0.1:6379)
  --master-key HEX       decrypt/encrypt with this master key (default: CACHEKIT_MASTER_KEY when
                         --encrypted is given)
  --previous-keys HEX,…  decrypt-only keys (rotation)
  --tenant T             key-derivation tenant (default: default)
  --encrypted            write an encrypted entry (set), using CACHEKIT_MASTER_KEY if no --master-key
  --mode MODE            entry form: interop, default or default-no-integrity (default: guessed
                         from the key: {ns}:{op}:{64 hex} is interop, …:1s default, …:0s no integrity)
  --ttl SECONDS          expiry for set (default: none)
  -h, --help             this help

Values are tagged JSON: plain JSON plus {"$int": "…"}, {"$float": "…"}, {"$bytes": "hex"},
{"$datetime": "…"}, {"$date": "…"}, {"$time": "…"}, {"$uuid": "…"}, {"$set": […]}, {"$map": [[k, v], …]}.

examples:
  cachekit inspect users:get_user:61598716255080080f6456eb065c2e51badfaa4320b0efe97469c29cffee8875
  cachekit get --namespace users --operation get_user --args '[42]' --redis redis://127.0.0.1:6379
  cachekit set --namespace users --operation get_user --args '[42]' '{"name": "alice"}' --ttl 600
`;

interface Args {
  cmd: string | undefined;
  positional: string[];
  flags: Map<string, string | true>;
}

/** Options that take a value, and those that do not. */
const VALUE_FLAGS = new Set(['redis', 'master-key', 'previous-keys', 'tenant', 'mode', 'ttl', 'namespace', 'operation', 'args']);
const BOOLEAN_FLAGS = new Set(['encrypted', 'help']);

function parseArgs(argv: string[]): Args {
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') flags.set('help', true);
    else if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      // A misspelt option must not quietly fall back to a default (--reddis → local Redis).
      if (!VALUE_FLAGS.has(name) && !BOOLEAN_FLAGS.has(name)) throw new Error(`unknown option --${name} (see --help)`);
      if (BOOLEAN_FLAGS.has(name)) {
        if (eq > 0) throw new Error(`--${name} takes no value`);
        flags.set(name, true);
      } else if (eq > 0) flags.set(name, a.slice(eq + 1));
      else {
        const v = argv[++i];
        if (v === undefined) throw new Error(`--${name} needs a value`);
        flags.set(name, v);
      }
    } else positional.push(a);
  }
  return { cmd: positional.shift(), positional, flags };
}

/** Refuses arguments the command did not use. */
function noMore(a: Args): void {
  if (a.positional.length > 0) throw new Error(`unexpected argument${a.positional.length > 1 ? 's' : ''}: ${a.positional.join(' ')}`);
}

function str(a: Args, name: string): string | undefined {
  const v = a.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

function keyOf(a: Args, consumePositional = true): string {
  const ns = str(a, 'namespace');
  const op = str(a, 'operation');
  if (ns !== undefined || op !== undefined) {
    if (ns === undefined || op === undefined) throw new Error('--namespace and --operation go together');
    const args = fromTagged(JSON.parse(str(a, 'args') ?? '[]'));
    if (!Array.isArray(args)) throw new Error('--args must be a JSON array');
    return P.interopKey(ns, op, args);
  }
  const key = consumePositional ? a.positional.shift() : a.positional[0];
  if (key === undefined) throw new Error('missing <key>');
  return key;
}

function keyringOf(a: Args, required: boolean): NativeKeyring | undefined {
  const mk = str(a, 'master-key') ?? ((required || a.flags.has('encrypted')) ? process.env.CACHEKIT_MASTER_KEY : undefined);
  if (!mk) {
    if (required) throw new Error('encryption needs --master-key or CACHEKIT_MASTER_KEY');
    return undefined;
  }
  const prev = (str(a, 'previous-keys') ?? '').split(',').filter(Boolean);
  return P.keyring(mk, prev, str(a, 'tenant') ?? 'default');
}

/** `url` without its password, for messages: `redis://user:***@host:port`. */
function redacted(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/** Runs `work` against the Redis of `--redis` (or the environment's), closing it after;
 * failures name the Redis they happened on. */
async function withRedis<T>(a: Args, work: (r: RedisAdapter) => Promise<T>): Promise<T> {
  const url = str(a, 'redis') ?? process.env.CACHEKIT_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const r = await adapterForUrl(url);
  try {
    return await work(r);
  } catch (e) {
    throw new Error(`${redacted(url)}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  } finally {
    await r.close().catch(() => {});
  }
}

export { describeEntry };

async function main(argv: string[]): Promise<number> {
  const a = parseArgs(argv);
  if (a.flags.has('help') || a.cmd === undefined || a.cmd === 'help') {
    process.stdout.write(HELP);
    return a.cmd === undefined && !a.flags.has('help') ? 2 : 0;
  }
  const mode = str(a, 'mode') as EntryMode | undefined;
  switch (a.cmd) {
    case 'key': {
      const key = keyOf(a);
      noMore(a);
      console.log(key);
      return 0;
    }
    case 'inspect':
    case 'get': {
      const key = keyOf(a);
      noMore(a);
      return withRedis(a, async (r) => {
        const bytes = await r.get(key);
        if (bytes === null) {
          console.log(JSON.stringify(a.cmd === 'get' ? { hit: false } : { key, kind: 'none' }));
          return 1;
        }
        const d = describeEntry(key, bytes, keyringOf(a, false), mode);
        if (a.cmd === 'inspect') {
          const ttl = (await r.getWithTtl(key))[1];
          d.ttl = ttl;
          console.log(JSON.stringify(d, null, 2));
          return 'value' in d ? 0 : 1;
        }
        if (!('value' in d)) {
          console.error(`cachekit: cannot read ${key}: ${String(d.note ?? (d.errors as string[] | undefined)?.join('; ') ?? d.kind)}`);
          return 1;
        }
        console.log(JSON.stringify(d.value));
        return 0;
      });
    }
    case 'set': {
      const key = keyOf(a);
      const json = a.positional.shift();
      if (json === undefined) throw new Error('missing <json> value');
      noMore(a);
      const value = fromTagged(JSON.parse(json));
      const m = mode ?? guessMode(key);
      const ring = a.flags.has('encrypted') || str(a, 'master-key') ? keyringOf(a, true) : undefined;
      const bytes = ring ? ring.entryEncode(value, m, key) : P.entryEncode(value, m, key);
      const ttlText = str(a, 'ttl');
      const ttl = ttlText === undefined ? null : Math.ceil(Number(ttlText));
      if (ttl !== null && !(ttl > 0)) throw new Error('--ttl must be a positive number of seconds');
      await withRedis(a, (r) => r.set(key, bytes, ttl));
      console.log(JSON.stringify({ key, mode: m, encrypted: ring !== undefined, bytes: bytes.length, ttl }));
      return 0;
    }
    case 'del': {
      const key = keyOf(a);
      noMore(a);
      return withRedis(a, async (r) => {
        const n = await r.del([key]);
        console.log(JSON.stringify({ key, deleted: n }));
        return n > 0 ? 0 : 1;
      });
    }
    default:
      process.stderr.write(`cachekit: unknown command ${a.cmd}\n\n${HELP}`);
      return 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      const err = e as { message?: string; kind?: string };
      process.stderr.write(`cachekit: ${err.kind ? `${err.kind}: ` : ''}${err.message ?? String(e)}\n`);
      process.exitCode = 2;
    },
  );
}

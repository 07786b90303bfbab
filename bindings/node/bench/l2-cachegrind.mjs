// Where an L2 hit's extra time goes (docs/bench-node.md, "L2 hit"): runs the two sides of that
// row, cachekit `get()` (l1: false) and ioredis `getBuffer` + msgpackr `unpack`, each in its own
// Node process under `valgrind --tool=cachegrind`, and prints per call what ours executes and
// misses beyond the peer, by component (the Rust engine, Node-API, V8's JSON parser, malloc,
// ...) and by function. The counts are deterministic enough to compare builds where wall-clock
// A/B runs drown in loopback noise.
//
//   cd bindings/node && npm run build && cd bench && npm install && node l2-cachegrind.mjs [CALLS]
//
// Needs valgrind (Debian package). Both processes run the same set-up (one cache, one raw
// entry) and the same warm-up; the per-call figures divide the whole-process difference by the
// calls made, so start-up and JIT work common to both cancel out, and what is left over (JIT
// compiling of different code) shows as noise in the "V8 other" row.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const WARM = 3000;
/** Cachegrind's events reported: instructions, L1 instruction / data-read / data-write misses. */
const EVENTS = ['Ir', 'I1mr', 'D1mr', 'D1mw'];

if (process.argv[2] === '--loop') {
  await loop(process.argv[3], process.argv[4], Number(process.argv[5]));
} else {
  await compare(Number(process.argv[2] || 4000));
}

/** One side's loop: `mode` is `ours` or `peer`; both set up the same things. */
async function loop(mode, url, calls) {
  const require = createRequire(import.meta.url);
  const { pack, unpack } = require('msgpackr');
  const Redis = require('ioredis');
  const { createCache } = require('../dist/index.js');
  const user = { id: 42, name: 'alice', email: 'alice@example.com', roles: ['admin', 'dev', 'ops'], active: true, score: 97.5 };
  const redis = new Redis(url);
  const cache = createCache({ redis, namespace: 'bench', l1: false });
  await cache.set('user', user, { ttl: 3600 });
  await redis.set('raw:user', pack(user));
  const f = mode === 'peer' ? async () => unpack(await redis.getBuffer('raw:user')) : () => cache.get('user');
  for (let i = 0; i < WARM + calls; i++) await f();
  await cache.close();
  redis.disconnect();
}

/** Runs both sides under cachegrind and prints ours minus the peer's, per call. */
async function compare(calls) {
  const { startRedis } = await import('../test/helpers.mjs');
  const server = await startRedis();
  const dir = mkdtempSync(join(tmpdir(), 'ck-cg-'));
  try {
    const counts = {};
    for (const mode of ['ours', 'peer']) {
      const out = join(dir, `${mode}.out`);
      execFileSync(
        'valgrind',
        ['--tool=cachegrind', '--cache-sim=yes', `--cachegrind-out-file=${out}`, process.execPath, here, '--loop', mode, server.url, String(calls)],
        { stdio: 'ignore', cwd: dirname(here) },
      );
      counts[mode] = parse(readFileSync(out, 'utf8'));
    }
    report(counts.ours, counts.peer, WARM + calls);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await server.close();
  }
}


/** Per-function totals of a cachegrind output file: `file:function` → {event: count}. */
function parse(text) {
  let names = [];
  let file = '';
  let fn = '';
  const totals = new Map();
  for (const line of text.split('\n')) {
    if (line.startsWith('events:')) names = line.slice(7).trim().split(/\s+/);
    else if (line.startsWith('fl=')) file = line.slice(3);
    else if (line.startsWith('fn=')) fn = line.slice(3);
    else if (/^\d/.test(line)) {
      const key = `${file}\t${fn}`;
      const t = totals.get(key) ?? Object.fromEntries(EVENTS.map((e) => [e, 0]));
      line.split(/\s+/).slice(1).forEach((v, i) => {
        if (EVENTS.includes(names[i])) t[names[i]] += Number(v);
      });
      totals.set(key, t);
    }
  }
  return totals;
}

/** The component a function belongs to. */
function component(key) {
  const [file, fn] = key.split('\t');
  if (/cachekit|itoa|ryu|xxhash|lz4_flex|hashbrown/.test(fn)) return 'Rust engine (cachekit.node)';
  if (/malloc/.test(file) || /^(malloc|free|calloc|realloc|cfree)$/.test(fn)) return 'malloc';
  if (/memmove|memcpy|memset|memcmp/.test(file + fn)) return 'mem*';
  if (fn.startsWith('v8::internal::Json') || fn.includes('JsonParse')) return "V8's JSON parser";
  if (/napi/.test(fn)) return 'Node-API';
  if (fn.startsWith('Builtins_')) return 'V8 builtins';
  if (fn.startsWith('v8::')) return 'V8 other (runtime, JIT compiler)';
  if (fn === '???') return 'JIT-compiled JavaScript';
  if (fn.startsWith('core::') || fn.startsWith('alloc::') || fn.startsWith('std::') || fn.startsWith('<')) return 'Rust std';
  return 'other';
}

function report(ours, peer, calls) {
  const diff = (group) => {
    const sum = (m) => {
      const out = new Map();
      for (const [k, v] of m) {
        const g = group(k);
        const t = out.get(g) ?? Object.fromEntries(EVENTS.map((e) => [e, 0]));
        for (const e of EVENTS) t[e] += v[e];
        out.set(g, t);
      }
      return out;
    };
    const [a, b] = [sum(ours), sum(peer)];
    const zero = Object.fromEntries(EVENTS.map((e) => [e, 0]));
    return [...new Set([...a.keys(), ...b.keys()])]
      .map((k) => [k, Object.fromEntries(EVENTS.map((e) => [e, ((a.get(k) ?? zero)[e] - (b.get(k) ?? zero)[e]) / calls]))])
      .sort((x, y) => y[1].I1mr - x[1].I1mr);
  };
  const row = (name, d) => `${name.slice(0, 70).padEnd(72)}${EVENTS.map((e) => d[e].toFixed(0).padStart(9)).join('')}`;
  const header = `${''.padEnd(72)}${EVENTS.map((e) => e.padStart(9)).join('')}`;
  const all = diff(() => 'total');
  console.log(`cachekit get() minus ioredis getBuffer + msgpackr unpack, per call (${calls} calls each)`);
  console.log(`Ir: instructions; I1mr/D1mr/D1mw: misses of the 32 KB L1 instruction/data caches\n`);
  console.log(header);
  console.log(row('total', all[0][1]));
  for (const [k, d] of diff(component)) console.log(row(k, d));
  console.log(`\nfunctions with the most extra instruction-cache misses:\n${header}`);
  for (const [k, d] of diff((k) => k.split('\t')[1]).slice(0, 25)) console.log(row(k, d));
}

// Test helpers: our own redis-server (standalone or a 3-master cluster) on free loopback
// ports, and the Redis clients the suite runs over.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const require = createRequire(import.meta.url);

/** A loopback port nothing listens on now (`port` given: that one, or `null` if taken). */
export function freePort(port = 0) {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', (e) => (port ? resolve(null) : reject(e)));
    s.listen(port, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A free port whose cluster bus port (port + 10000) is free too. */
async function freeClusterPort() {
  for (;;) {
    const port = await freePort();
    if (port + 10000 <= 65535 && (await freePort(port + 10000)) !== null) return port;
  }
}

function ping(port) {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let buf = '';
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      buf += d;
      if (buf.includes('\r\n')) {
        sock.destroy();
        resolve(buf.startsWith('+PONG'));
      }
    });
    sock.on('error', () => resolve(false));
    setTimeout(() => {
      sock.destroy();
      resolve(false);
    }, 500);
  });
}

async function waitFor(port, up = true) {
  for (let i = 0; i < 100; i++) {
    if ((await ping(port)) === up) return;
    await sleep(50);
  }
  throw new Error(`redis on ${port} did not become ${up ? 'ready' : 'unreachable'}`);
}

/** The process id of the redis-server answering on `port`, or `null`. */
function serverPid(port) {
  try {
    const info = execFileSync('redis-cli', ['-p', String(port), 'info', 'server'], { encoding: 'utf8', timeout: 5000 });
    return Number(/process_id:(\d+)/.exec(info)?.[1] ?? NaN);
  } catch {
    return null;
  }
}

/** Starts redis-server on `port`: resolves to the process once it answers there, or `null`
 * when the port was taken meanwhile (the server exited, or another process answers: other
 * suites may pick ports at the same time). */
async function spawnRedis(port, args) {
  const proc = spawn('redis-server', ['--port', String(port), ...args], { stdio: 'ignore' });
  let exited = false;
  proc.once('exit', () => (exited = true));
  for (let i = 0; i < 100 && !exited; i++) {
    if (await ping(port)) {
      if (serverPid(port) === proc.pid) return proc;
      break;
    }
    await sleep(50);
  }
  proc.kill('SIGKILL');
  return null;
}

/** A redis-server of our own. `stop()` kills it, `start()` brings it back on the same port. */
export async function startRedis(extraArgs = []) {
  const cluster = extraArgs.includes('--cluster-enabled');
  const dir = mkdtempSync(join(tmpdir(), 'ck-redis-'));
  const args = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extraArgs];
  let proc;
  let port;
  for (let attempt = 0; !proc; attempt++) {
    if (attempt === 10) throw new Error('could not start redis-server on a free port');
    port = cluster ? await freeClusterPort() : await freePort();
    proc = await spawnRedis(port, args);
  }
  const server = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      proc = await spawnRedis(port, args);
      if (!proc) throw new Error(`redis-server could not start again on ${port}`);
    },
    async stop() {
      if (!proc) return;
      const p = proc;
      proc = undefined;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGKILL');
      await exited;
      await waitFor(port, false);
    },
    async close() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

/** Three masters, no replicas, created with `redis-cli --cluster create`. */
export async function startCluster() {
  const nodes = [];
  for (let i = 0; i < 3; i++) {
    nodes.push(await startRedis(['--cluster-enabled', 'yes', '--cluster-config-file', `nodes.conf`, '--cluster-node-timeout', '2000']));
  }
  execFileSync(
    'redis-cli',
    ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 100; i++) {
    const ok = nodes.every((n) => {
      const info = execFileSync('redis-cli', ['-p', String(n.port), 'cluster', 'info'], { encoding: 'utf8' });
      return info.includes('cluster_state:ok');
    });
    if (ok) break;
    await sleep(100);
  }
  return {
    nodes,
    ports: nodes.map((n) => n.port),
    async close() {
      for (const n of nodes) await n.close();
    },
  };
}

/** Redis clients the suite runs over; CACHEKIT_TEST_CLIENTS=ioredis,redis6 limits them. */
export const CLIENTS = [
  {
    name: 'ioredis',
    async standalone(url) {
      const Redis = require('ioredis');
      const c = new Redis(url, { maxRetriesPerRequest: 1 });
      c.on('error', () => {});
      return { client: c, close: () => c.disconnect() };
    },
    async cluster(ports) {
      const { Cluster } = require('ioredis');
      const c = new Cluster(ports.map((port) => ({ host: '127.0.0.1', port })));
      c.on('error', () => {});
      await new Promise((r) => c.once('ready', r));
      return { client: c, close: () => c.disconnect() };
    },
  },
  {
    name: 'ioredis6',
    async standalone(url) {
      const mod = require('ioredis6');
      const Redis = mod.default ?? mod.Redis ?? mod;
      const c = new Redis(url, { maxRetriesPerRequest: 1 });
      c.on('error', () => {});
      return { client: c, close: () => c.disconnect() };
    },
    async cluster(ports) {
      const mod = require('ioredis6');
      const c = new mod.Cluster(ports.map((port) => ({ host: '127.0.0.1', port })));
      c.on('error', () => {});
      await new Promise((r) => c.once('ready', r));
      return { client: c, close: () => c.disconnect() };
    },
  },
  ...['redis', 'redis5'].map((pkg) => ({
    name: pkg === 'redis' ? 'node-redis6' : 'node-redis5',
    async standalone(url) {
      const { createClient } = require(pkg);
      const c = createClient({ url, socket: { reconnectStrategy: () => 200 } });
      c.on('error', () => {});
      await c.connect();
      return { client: c, close: () => (c.close ? c.close() : c.quit()).catch(() => {}) };
    },
    async cluster(ports) {
      const { createCluster } = require(pkg);
      const c = createCluster({ rootNodes: ports.map((port) => ({ url: `redis://127.0.0.1:${port}` })) });
      c.on('error', () => {});
      await c.connect();
      return { client: c, close: () => (c.close ? c.close() : c.quit()).catch(() => {}) };
    },
  })),
].filter((c) => !process.env.CACHEKIT_TEST_CLIENTS || process.env.CACHEKIT_TEST_CLIENTS.split(',').includes(c.name));

/** A plain ioredis connection for looking at Redis directly. */
export function raw(urlOrPorts) {
  const Redis = require('ioredis');
  const c = Array.isArray(urlOrPorts)
    ? new Redis.Cluster(urlOrPorts.map((port) => ({ host: '127.0.0.1', port })))
    : new Redis(urlOrPorts);
  c.on('error', () => {});
  return c;
}

export const MASTER_A = '00'.repeat(31) + '01';
export const MASTER_B = 'ab'.repeat(32);
export { sleep };
